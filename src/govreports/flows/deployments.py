"""The deployments `govreports serve-flows` serves (and prefect.yaml describes for workers).

nightly: cron 30 2 * * * in Asia/Shanghai, at most one run at a time (a new one is cancelled while the last runs:
the next night catches up); backfill and reparse: on demand, one at a time, a run asked for while another runs
waiting its turn (ENQUEUE: someone asked for it, with its own years; the partitions table makes it do only what is
left; cancelled, as serve-flows had it, it was lost without a word, where prefect.yaml queued it). Their entry
points are module paths (govreports.flows.nightly.nightly), so the served flows load from the installed package
whatever the working directory.
"""

from __future__ import annotations

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType
from prefect.schedules import Cron

from govreports.flows.backfill import backfill
from govreports.flows.nightly import nightly
from govreports.flows.reparse import reparse

NIGHTLY_CRON = "30 2 * * *"
TIMEZONE = "Asia/Shanghai"


def deployments(config: str, db: str, archive: str):
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    in_turn = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    paths = {"config": config, "db": db, "archive": archive}
    by_module = EntrypointType.MODULE_PATH
    return [
        nightly.to_deployment(name="nightly", schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)],
                              concurrency_limit=one_at_a_time, parameters=paths,
                              entrypoint_type=by_module,
                              description="New and changed reports from every configured portal."),
        backfill.to_deployment(name="backfill", concurrency_limit=in_turn, parameters=paths,
                               entrypoint_type=by_module,
                               description="Portals × years; parameters portals, years, reprocess, dry_run."),
        reparse.to_deployment(name="reparse", concurrency_limit=in_turn, parameters=paths,
                              entrypoint_type=by_module,
                              description="Re-parse archived documents with the current parser; no network."),
    ]
