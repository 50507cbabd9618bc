"""What the Prefect flows run, as plain functions: per-portal nightly crawls, partitioned backfills, re-parsing
from the archive, and the lock that keeps two nightly runs apart. Tested without Prefect."""
