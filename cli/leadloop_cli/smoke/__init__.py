"""``leadloop smoke``: prove the capture path of a deployed (or the local) stack with a Meta test lead.

A test lead is created on a routed form through Meta's ``POST /{form_id}/test_leads``; the smoke
waits until LeadsTable holds it ``FETCHED`` after its webhook arrived, then cleans up whatever
happened: the lead becomes a ``FORGOTTEN`` tombstone, the test person is removed from the form's
audiences (only once its add has landed, so the removal cannot be overtaken), and the test lead is
deleted at Meta. Modules: ``person`` (the synthetic person and its audience row), ``meta`` (the
Graph calls), ``audiences`` (removal and the add/removal checks), ``capture`` (the wait),
``diagnosis`` (why it failed, what to do), ``cleanup`` and ``runner`` (the whole run).
"""
