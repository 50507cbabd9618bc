"""Schema of the database, created and upgraded only through these migrations.

sqlite-utils' `Migrations` records every applied step in `_sqlite_migrations`; we also mirror the count in
`PRAGMA user_version` so that any SQLite tool can tell the schema version without knowing sqlite-utils.
A released migration is never edited: a schema change is a new function in a new module, imported below after
the others (registration order is the order migrations apply in).
"""

from __future__ import annotations

from govreports.store.migrations.registry import MIGRATION_SET, migrations
from govreports.store.migrations.tables import m001_tables
from govreports.store.migrations.search_views import m002_search_labels_views, wide_columns
from govreports.store.migrations.crawl import m003_crawl, m004_failure_kinds_and_portal_runs, m005_portal_health
from govreports.store.migrations.scorecard import LATE_SQL, SCORECARD_SQL, m006_published_source_regions_scorecard
from govreports.store.migrations.flat import (FLAT_HEAD, VIEW_COLUMN_NAMES, flat_cells, m007_unambiguous_names_report_flat,
                                              view_column)
from govreports.store.migrations.facts import COUNT_CELLS_SQL, COUNT_FACTS_SQL, SCORECARD_SQL_M008, m008_version_facts
from govreports.store.migrations.sums import (CURRENT_SUMS_ADD, CURRENT_SUMS_DDL, CURRENT_SUMS_PRUNE, current_sums_add,
                                              m009_current_sums)
from govreports.store.migrations.cells import CELLS_VIEW, m010_cell_keys, schema_cell_keys
from govreports.store.migrations.agency_years import SCORECARD_SQL_M011, m011_agency_years, refresh_agency_years
from govreports.store.migrations.short_words import TAIL, m012_short_words
from govreports.store.migrations.heading_search import HEADING_END, m013_headings_in_search_index
from govreports.store.migrations.sums_recount import m014_current_sums_recounted
from govreports.store.migrations.checks import CHECKS_VIEW, m015_check_keys
from govreports.store.migrations.streamed_views import m016_streamed_views, report_flat_sql, wide_sql
from govreports.store.migrations.run_outcome import m017_run_outcome
from govreports.store.migrations.report_titles import m018_report_titles
from govreports.store.migrations.left_out import m019_left_out
from govreports.store.migrations.known_reports import m020_known_reports_of_failed_items
from govreports.store.migrations.source_index import m021_reports_by_source
from govreports.store.migrations.undated import m022_undated_version_hash
from govreports.store.migrations.doubled_reports import m023_doubled_reports_merged
from govreports.store.migrations.form_blanks import m024_blanks_over_the_form, recount_form_blanks
from govreports.store.migrations.due_years import (SCORECARD_SQL_M025, m025_years_due_by_their_deadline,
                                                   m026_listing_order_index_holds_kind)
from govreports.store.migrations.undated_backfill import m027_undated_hash_of_older_versions
from govreports.store.migrations.late_missing import m028_late_missing_counts
from govreports.store.migrations.partition_counts import PARTITION_COUNTS, m029_partition_counts
from govreports.store.migrations.rule_counts import m030_kept_counts
from govreports.store.migrations.china_time import m031_due_in_china_time

__all__ = [
    "CELLS_VIEW", "CHECKS_VIEW", "COUNT_CELLS_SQL", "COUNT_FACTS_SQL", "CURRENT_SUMS_ADD", "CURRENT_SUMS_DDL",
    "CURRENT_SUMS_PRUNE",
    "FLAT_HEAD", "HEADING_END", "LATE_SQL", "MIGRATION_SET", "SCORECARD_SQL", "SCORECARD_SQL_M008",
    "VIEW_COLUMN_NAMES",
    "current_sums_add", "flat_cells", "latest_version", "m001_tables", "m002_search_labels_views", "m003_crawl",
    "m004_failure_kinds_and_portal_runs", "m005_portal_health", "m006_published_source_regions_scorecard",
    "m007_unambiguous_names_report_flat", "m008_version_facts", "m009_current_sums", "m010_cell_keys",
    "m011_agency_years", "m012_short_words", "m013_headings_in_search_index", "m014_current_sums_recounted",
    "m015_check_keys", "m016_streamed_views", "m017_run_outcome", "m018_report_titles", "m019_left_out",
    "m020_known_reports_of_failed_items", "m021_reports_by_source", "m022_undated_version_hash",
    "m023_doubled_reports_merged", "m024_blanks_over_the_form",
    "m025_years_due_by_their_deadline", "m026_listing_order_index_holds_kind", "m027_undated_hash_of_older_versions",
    "m028_late_missing_counts", "m029_partition_counts", "m030_kept_counts", "m031_due_in_china_time",
    "migrations", "PARTITION_COUNTS", "SCORECARD_SQL_M025",
    "recount_form_blanks",
    "report_flat_sql", "schema_cell_keys", "view_column", "wide_columns", "wide_sql",
]


def latest_version() -> int:
    return len(migrations._migrations)
