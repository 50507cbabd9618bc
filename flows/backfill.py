"""The backfill flow (portals × years, resumable):
the entry point `prefect.yaml` names (`flows/backfill.py:backfill`).

The flow is defined in the package, govreports.flows.backfill, which the CLI runs too; this file only makes it
reachable by path for `prefect deploy` and workers, and runs it once when executed as a script.
"""

from govreports.flows.backfill import backfill

__all__ = ["backfill"]

if __name__ == "__main__":
    backfill()
