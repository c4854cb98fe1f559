"""AudienceUploader: hashed rows on AudienceQueue reach Meta's ``/{audience_id}/users``.

* ``batching`` groups a batch's messages by (audience, op, schema), removes duplicate rows and cuts
  calls of at most 10,000 rows, with session fields when a group needs several calls;
* ``tails`` keeps a batch that Lambda cut at 6 MB from ending in a small call (its tail waits);
* ``outcomes`` decides what a Graph error means for the messages of a call (ack, retry, DLQ);
* ``visibility`` hides messages in batches (the replace lock is read through ``leadloop.state.locks``);
* ``service`` runs one batch; ``consumer`` is the Powertools batch entry point; ``wiring`` builds
  the dependencies from settings.
"""
