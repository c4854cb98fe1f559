"""leadloop: the runtime library shared by every function (deployed as the common Lambda layer).

Layers, one direction only: handlers in ``functions/*/app.py`` call the logic modules here
(``capture``, ``backfill``, ``webhook``), which take their adapters (``graph.client`` + ``graph.transport``,
``leads.store``, ``queues``, ``state.store``) as parameters. Only adapters import boto3
or urllib3, and nothing does I/O at import time.
"""
