"""Content-Encoding undone a bounded piece at a time, and a compression stream that stops short named as such.

Why not httpx's own decoding (``aiter_bytes``): it inflates each network read in one call, so the body cap is
checked only after the fact. A read of a stacked encoding (``Content-Encoding: gzip, gzip``: 1,831 bytes sent)
unpacked to 1 GB inside one zlib call, and the crawl process held 2 GB before the cap saw a byte; one document
could have the night killed for its memory. Its gzip decoder also never asks whether the stream ended: a gzip body
cut short inside a whole HTTP message (a cache that stored it cut off; the HTTP framing is intact, so h11 sees
nothing wrong) was handed on as the whole page, archived and parsed without the tables its end held; and of a body
of several gzip members (RFC 1952 §2.2) only the first was kept.

Here every layer inflates at most ``_STEP`` bytes per call and hands them on lazily (generators), so the caller's
cap stops the unpacking within a step of the limit; ``finish`` raises ``httpx.DecodingError`` (``truncated``, see
errors.classify) when a stream ended before its end marker. A body that is no such stream from its first bytes on (a
plain page labelled gzip: no gzip header, nothing inflated) raises ``NotEncoded`` (``malformed``): the server labels
it so every time, and asking again does not mend it. Encodings are those httpx decodes without extras:
gzip (x-gzip), deflate (zlib-wrapped, or raw as some servers send it), identity; any other label is passed
through as httpx does (``Accept-Encoding`` never asks for one).
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable, Iterator

import httpx

_STEP = 1 << 16  # bytes inflated per call: one network read's worth
# what every request asks for (fetch.client): what BodyDecoder reads. httpx asks for br and zstd as well once brotli
# or zstandard is installed, and a config's extra_headers copied from a browser does too; such an answer would be
# archived and parsed still packed
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_MAGIC = b"\x1f\x8b"


class NotEncoded(httpx.DecodingError):
    """The body is not in the Content-Encoding it is labelled with: its first bytes start no such stream."""


def _zlib_header(start: bytes) -> bool:
    """``start`` (two bytes) is a zlib header (RFC 1950 §2.2: deflate, and CMF·256 + FLG a multiple of 31)."""
    return len(start) == 2 and start[0] & 0x0F == 8 and (start[0] << 8 | start[1]) % 31 == 0


class _Inflater:
    """One gzip or deflate layer."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if kind == "gzip" else zlib.MAX_WBITS)
        self._fed = False  # any input at all (an empty body labelled gzip is no broken stream)
        self._sure = kind == "gzip"  # deflate: zlib-wrapped or raw is decided by its first bytes
        self._held: bytes | None = None  # between gzip members: the bytes seen of the next one's start
        self._done = False  # past the last member; what follows is ignored, as browsers do
        self._start = b""  # the stream's first two bytes: its header, if it is one
        self._inflated = False  # any output at all

    def feed(self, stream: Iterable[bytes]) -> Iterator[bytes]:
        for data in stream:
            if self._held is not None:
                data = self._next_member(self._held + data)
            more = bool(data) and not self._done
            if len(self._start) < 2:
                self._start += data[: 2 - len(self._start)]
            while more:
                self._fed = True
                try:
                    out = self._zlib.decompress(data, _STEP)
                except zlib.error as exc:
                    if self._sure and self._never_began():
                        raise NotEncoded(f"the body is labelled Content-Encoding: {self.kind} but is no {self.kind} "
                                         f"stream (it starts {self._start!r}: {exc})") from exc
                    if self._sure:
                        raise httpx.DecodingError(f"{self.kind} stream: {exc}") from exc
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate (httpx's fallback too)
                    self._sure = True
                    continue
                self._sure = True
                data = self._zlib.unconsumed_tail
                more = bool(data) or len(out) == _STEP  # a full step may have left output inside zlib
                if self._zlib.eof:
                    self._held, self._done = (b"", False) if self.kind == "gzip" else (None, True)
                    data = self._next_member(self._zlib.unused_data) if self.kind == "gzip" else b""
                    more = bool(data) and not self._done
                if out:
                    self._inflated = True
                    yield out

    def _never_began(self) -> bool:
        """Nothing inflated, and the first bytes are not this encoding's header: no stream of it, not a damaged one
        (gzip's magic number; a deflate body is zlib-wrapped or raw, and raw deflate has no header to tell)."""
        if self._inflated:
            return False
        return not self._start.startswith(_GZIP_MAGIC) if self.kind == "gzip" else not _zlib_header(self._start)

    def _next_member(self, data: bytes) -> bytes:
        """After a gzip member: ``data`` from the next member's start on (a new stream begun), or b"" (too few
        bytes yet to tell, or what follows is no member: ignored, the body complete)."""
        if len(data) < 2 and _GZIP_MAGIC.startswith(data):
            self._held = data
            return b""
        self._held = None
        if data[:2] != _GZIP_MAGIC:
            self._done = True
            return b""
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return data

    def finish(self) -> Iterator[bytes]:
        complete = self._done or self._held is not None or self._zlib.eof
        if self._fed and not complete:
            raise httpx.DecodingError(f"the {self.kind} stream ended before its end")
        return iter(())


class BodyDecoder:
    """``decode(raw)`` and then ``finish()`` yield the body in pieces of at most ``_STEP`` bytes, unpacked only as
    far as the caller reads them."""

    def __init__(self, content_encoding: str | None) -> None:
        labels = [v.strip().lower() for v in (content_encoding or "").split(",")]
        kinds = ["gzip" if v == "x-gzip" else v for v in labels]
        self._layers = [_Inflater(k) for k in reversed(kinds) if k in ("gzip", "deflate")]  # the last applied first

    def decode(self, raw: bytes) -> Iterator[bytes]:
        stream: Iterator[bytes] = iter((raw,))
        for layer in self._layers:
            stream = layer.feed(stream)
        return stream

    def finish(self) -> Iterator[bytes]:
        stream: Iterator[bytes] = iter(())
        for layer in self._layers:
            stream = itertools.chain(layer.feed(stream), _lazy(layer.finish))
        return stream


def _lazy(finish) -> Iterator[bytes]:
    yield from finish()
