"""Capturing leads: webhook notifications, fetching, and the fetch-retry path."""
