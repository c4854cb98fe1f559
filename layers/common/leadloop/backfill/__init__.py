"""Scheduled and on-demand bulk reads of routed forms."""
