"""Conditional GETs: the validators a URL is asked with, and a 304 answered from the archive.

A 304 is only worth asking for when the body it stands for is in the archive; when the archived file turns out lost
or damaged, the URL is fetched whole instead (and stored again), never answered with a body that is not the
document's. A mixin of ``client.Fetcher``: it uses the fetcher's archive, stats and ``validators_lookup``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable

from govreports.errors import StorageError
from govreports.fetch.archive import Archive, DamagedBody
from govreports.fetch.result import FetchResult, Validators, decode_text
from govreports.fetch.stats import FetchStats

ValidatorsLookup = Callable[[str], "Validators | None | Awaitable[Validators | None]"]


class ConditionalGets:
    """The archive's side of a conditional GET, for ``Fetcher``."""

    archive: Archive
    stats: FetchStats
    validators_lookup: ValidatorsLookup | None
    fetch: Callable[..., Awaitable[FetchResult]]
    _key: Callable[[str], str]

    async def _validators(self, url: str) -> Validators | None:
        if self.validators_lookup is None:
            return None
        v = self.validators_lookup(url)
        if inspect.isawaitable(v):
            v = await v
        if v is None or not v.sha256 or not (v.etag or v.last_modified):
            return None
        try:
            if not self.archive.exists(v.sha256):
                return None  # a 304 is only useful when the body it stands for is in the archive
        except OSError:  # a folder that cannot be read (its permissions, a disk error): fetched whole, and
            return None  # stored, or the archive's StorageError if it cannot be written either
        return v

    async def _not_modified(self, res: FetchResult, validators: Validators, t0: float, expect: str,
                            refetch: Callable[[], Awaitable[FetchResult]], read_body: bool,
                            netloc: str | None) -> FetchResult:
        res.ok = res.not_modified = True
        res.sha256, res.archive_path = validators.sha256, self.archive.relpath(validators.sha256)
        res.etag = res.etag or validators.etag
        res.last_modified = res.last_modified or validators.last_modified
        res.encoding = validators.encoding if expect != "binary" else None
        res.body = None  # the 304's own (empty) body is not the document's
        if read_body:
            filled = await self._archived_body(res, expect, refetch)
            if filled is not res:  # the archive lost the file since the lookup: fetched whole
                return filled
        self.stats.host(netloc or self._key(res.final_url)).not_modified += 1  # the answer's host, not parsed again
        res.elapsed = time.monotonic() - t0
        return res

    async def unchanged_body(self, res: FetchResult, expect: str = "html",
                             refetch: Callable[[], Awaitable[FetchResult]] | None = None) -> FetchResult:
        """A 304 fetched with ``body_if_unchanged=False``, with its archived body and text now (any other result as
        it is). Where the archive has lost the file, the URL fetched whole (``refetch``, default a plain GET)."""
        if not res.not_modified or res.body is not None:
            return res
        if refetch is None:
            refetch = functools.partial(self.fetch, res.url, conditional=False, expect=expect)
        return await self._archived_body(res, expect, refetch)

    async def _archived_body(self, res: FetchResult, expect: str,
                             refetch: Callable[[], Awaitable[FetchResult]]) -> FetchResult:
        try:  # checked against its name: a file cut short (a full disk, a copy interrupted) was parsed as the page
            res.body = await asyncio.to_thread(functools.partial(self.archive.get, res.sha256, verify=True))
        except OSError:  # lost or unreadable: fetched whole (and stored again, whole)
            return await self._again(res, refetch)
        except DamagedBody:  # damaged: removed, so that the body fetched whole is written again, whatever its size
            try:
                await asyncio.to_thread(self.archive.discard, res.sha256)
            except OSError as exc:
                raise StorageError(f"could not remove the damaged archive file {res.archive_path} from "
                                   f"{self.archive.root}: {exc}") from exc
            return await self._again(res, refetch)
        decode_text(res, expect, res.encoding)
        return res

    @staticmethod
    async def _again(res: FetchResult, refetch: Callable[[], Awaitable[FetchResult]]) -> FetchResult:
        """The URL fetched whole in place of the 304 `res`, whose attempts it counts too."""
        again = await refetch()
        again.attempts += res.attempts
        return again
