"""Request handlers: Graph endpoints, the batch endpoint and the ``/_sim/`` control API."""
