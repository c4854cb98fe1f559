"""Helpers shared by the test suites; ``conftest.py`` files keep only fixtures and call into these.

- ``template``: ``infra/template.yaml`` read as CloudFormation reads it (``CfnTemplate``).
- ``moto_stack``: the template's resources on moto, the functions' environment, the seed ids.
- ``events``: Lambda events (API Gateway proxy, SQS, DynamoDB stream) and signed webhook bodies.
- ``context``: ``FakeContext``, the Lambda context object.
- ``graph``: ``FakeGraph``, the one in-memory stand-in for ``leadloop.graph.GraphClient``.
- ``memory``: in-memory LeadsTable, StateTable and SQS queues, as the services use them.
- ``graphsim``: the Graph simulator's seed ids, a signed HTTP client for it, a webhook receiver.
- ``cli``: ``leadloop dev up`` as a user starts it, and operator commands against it.

Helpers used by one suite only stay beside it in a ``*_support.py`` or ``fakes.py`` module.
"""
