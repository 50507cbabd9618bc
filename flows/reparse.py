"""The reparse flow (re-parse the raw archive, no network):
the entry point `prefect.yaml` names (`flows/reparse.py:reparse`).

The flow is defined in the package, govreports.flows.reparse, which the CLI runs too; this file only makes it
reachable by path for `prefect deploy` and workers, and runs it once when executed as a script.
"""

from govreports.flows.reparse import reparse

__all__ = ["reparse"]

if __name__ == "__main__":
    reparse()
