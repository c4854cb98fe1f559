"""Leads out: each lead that becomes FETCHED or FORGOTTEN as an event on the stack's EventBridge bus.

``changes`` reads a LeadsTable stream record into what happened to the lead, ``detail`` builds
the event (answers only for a route that opts in), ``publisher`` sends them in PutEvents calls of
at most 10 entries and 256 KB, retrying what EventBridge refused, and ``consumer`` parks what is
still refused on LeadEventsDLQ with its reason, so a failing consumer never blocks capture.
"""
