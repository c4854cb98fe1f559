"""The batch-consumer kit: what every SQS and DynamoDB Streams consumer of leadloop does alike.

* ``settle``: report the failed records to Lambda as a partial batch response (``RetryLater``);
* ``parking``: read each SQS message, park the unreadable ones on a DLQ verbatim with the reason;
* ``backoff``: exponential waits with jitter;
* ``deadline``: how long the invocation has left.

Import the submodule you need: nothing is imported here, so the webhook path (which needs only
``backoff``) never pays for Powertools' batch processing.
"""
