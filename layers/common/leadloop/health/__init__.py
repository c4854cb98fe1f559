"""Health checks that catch silent lead loss before a lead is lost (peers.md §iv; meta-api.md §1.1, §2.6).

Each check looks at one precondition Meta never reports on its own (a token about to expire, a
Page that dropped our ``leadgen`` subscription, Leads Access withdrawn, an app left in development
mode, a flagged or expiring audience, webhooks that stopped arriving) and returns findings with
what to do. The HealthCheckFunction runs them on a schedule; ``leadloop doctor`` runs the same code
from a laptop.
"""
