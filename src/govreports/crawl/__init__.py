"""Crawling: portal adapters discover reports, the fetcher gets them politely, the parser reads them, the store
loads them. `crawl()` runs it for a configuration; flows and the CLI are thin layers over it."""

from govreports.crawl.pipeline import CrawlSummary, PortalStats, apply_summary, crawl, run_crawl
from govreports.crawl.runrecord import record_run, recorded_run

__all__ = ["CrawlSummary", "PortalStats", "apply_summary", "crawl", "record_run", "recorded_run", "run_crawl"]
