"""StateTable, the one owner of its items: small bookkeeping records keyed ``pk``/``sk``, no PII.

* ``keys`` builds every key; ``codec`` turns values into DynamoDB's JSON and back; ``errors`` is the
  one error family (``StateError``; ``AudienceLocked`` where the replace must stop);
* ``store``: the backfill's watermarks, per-Page lead-read counters and backoffs;
* ``locks``: the uploader's read of the audience lock; ``replace_records``: the replace's lock, run
  progress and outcomes;
* ``health_records``: the health runs; ``markers``: the hasher's failed stream records.
"""
