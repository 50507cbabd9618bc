"""The nightly flow (new and changed reports from every portal):
the entry point `prefect.yaml` names (`flows/nightly.py:nightly`).

The flow is defined in the package, govreports.flows.nightly, which the CLI runs too; this file only makes it
reachable by path for `prefect deploy` and workers, and runs it once when executed as a script.
"""

from govreports.flows.nightly import nightly

__all__ = ["nightly"]

if __name__ == "__main__":
    nightly()
