"""LeadHasher: stored leads become hashed audience rows on AudienceQueue (no raw PII leaves here)."""
