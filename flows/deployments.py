"""The deployments `govreports serve-flows` serves (and prefect.yaml describes for workers).

nightly: cron 30 2 * * * in Asia/Shanghai, at most one run at a time (a new one is cancelled while the last runs);
backfill: on demand, one at a time.
"""

from __future__ import annotations

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from flows.backfill import backfill
from flows.nightly import nightly

NIGHTLY_CRON = "30 2 * * *"
TIMEZONE = "Asia/Shanghai"


def deployments(config: str, db: str, archive: str):
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    paths = {"config": config, "db": db, "archive": archive}
    return [
        nightly.to_deployment(name="nightly", schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)],
                              concurrency_limit=one_at_a_time, parameters=paths,
                              description="New and changed reports from every configured portal."),
        backfill.to_deployment(name="backfill", concurrency_limit=one_at_a_time, parameters=paths,
                               description="Portals × years; parameters portals, years, reprocess, dry_run."),
    ]
