"""``leadloop preflight``: the account prerequisites a deploy needs, checked with read-only calls first.

``parameters`` works out the template parameter values the deploy will use (the way ``sam deploy``
does), ``gather`` reads the account and the existing stack (the only module that calls AWS), and
one module per check turns what was read into findings: ``stack``, ``logging_role``,
``concurrency``, ``services`` and ``contents`` (the secret and the routing of an existing stack).
"""
