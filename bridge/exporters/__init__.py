"""Fortnox data back out as files in `outbox/exports/`."""
