"""What the Prefect flows (govreports.flows) run, as plain functions, tested without Prefect: one portal's crawl
and where its writes go (jobs), backfill partitions — the plan and every state change (partitions), re-parsing
from the archive (reparse), the run verdict and exit code (verdict), portal health (health), and Prefect
settings for plain runs (prefect_env)."""
