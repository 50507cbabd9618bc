"""Polite HTTP fetching and the raw, content-addressed archive of everything fetched.

Public API: ``Fetcher``, ``FetchPolicy``, ``FetchResult``, ``Validators``, ``Archive``, ``FetchStats``,
``safe_xml``/``XMLRejected``, ``detect_gate``, ``ERROR_KINDS`` (and ``ERROR_MEANINGS``: kind → what it means).
"""

from govreports.fetch.archive import Archive
from govreports.fetch.client import Fetcher
from govreports.fetch.gates import detect_gate
from govreports.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy, parse_retry_after
from govreports.fetch.result import ERROR_KINDS, ERROR_MEANINGS, FetchResult, Validators
from govreports.fetch.stats import FetchStats, HostStats
from govreports.fetch.xml import XMLRejected, safe_xml

__all__ = [
    "Archive", "DEFAULT_USER_AGENT", "ERROR_KINDS", "ERROR_MEANINGS", "FetchPolicy", "FetchResult", "FetchStats", "Fetcher",
    "HostStats", "Validators", "XMLRejected", "detect_gate", "parse_retry_after", "safe_xml",
]
