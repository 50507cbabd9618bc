"""The one migration set. sqlite-utils applies its steps in the order they were registered, so the modules of
this package are imported in migration order by its __init__."""

from __future__ import annotations

from sqlite_utils import Migrations

MIGRATION_SET = "govreports"
migrations = Migrations(MIGRATION_SET)
