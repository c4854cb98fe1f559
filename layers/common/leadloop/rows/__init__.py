"""Audience rows, shared by the LeadHasher, the AudienceUploader and the AudienceReplace.

* ``mapping`` turns a lead's ``field_data`` into a record keyed by Meta schema keys;
* ``policy`` is what a lead becomes in an audience: its route's schema, LDU cells, one hashed row;
* ``messages`` (with ``codec``) is the AudienceQueue message the hasher sends and the uploader reads;
* ``audience_rows`` is one lead's hashed row for one audience, grouped by what a ``/users`` call shares;
* ``session`` draws the ids of Meta's multi-call upload sessions.
* ``columns`` is how a column name a person gives (``--map``, a replace ``mapping``) finds its header cell.
"""
