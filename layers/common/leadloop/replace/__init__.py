"""Replace an audience's members with a staged set through Meta's ``/usersreplace`` sessions.

The AudienceReplace state machine calls one task at a time (:mod:`leadloop.replace.tasks`); each
task takes the execution's small state document and returns the next one. Rows never travel in
the state: they are staged as chunk files in S3 before the 90-minute window opens.
"""
