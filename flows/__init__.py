"""Prefect flows: thin wrappers over govreports.runs (nightly, backfill, reparse). See prefect.yaml."""
