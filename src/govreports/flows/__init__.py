"""The Prefect flows — nightly, backfill, reparse — and the deployments `govreports serve-flows` serves.

They are defined here, inside the package, so that the CLI and the demo run them without the repository's
top-level `flows/` folder: that folder only holds the entry-point files `prefect.yaml` names
(`flows/nightly.py:nightly`, …), each importing its flow from here. The work itself is plain functions in
`govreports.runs` (tested without Prefect); this layer adds tasks, retries, the task runner, artifacts and the
flow run's final state.
"""
