"""StateTable: watermarks, per-Page call counters and backoffs (later: locks and sessions)."""
