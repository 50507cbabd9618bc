"""Content-Encoding: a compressed body is decoded within the body cap, however it was packed, and a compression
stream that stops short is ``truncated``, never archived as the whole document."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from httpserver import LocalServer, Reply, fetch_policy, fetch_urls

PAGE = ("<html><head><meta charset='utf-8'></head><body>某某区2023年政府信息公开工作年度报告"
        + "<p>一、总体情况</p>" * 2000 + "</body></html>").encode()
BOMB_MB = 96  # what a stacked gzip of under 1 KB unpacks to
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _gzip_of_zeros(megabytes: int) -> bytes:
    """`megabytes` MB of zero bytes, gzipped a megabyte at a time (never the whole in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return b"".join([*(packer.compress(block) for _ in range(megabytes)), packer.flush()])


@pytest.fixture(scope="module")
def server():
    with LocalServer() as srv:
        whole = gzip.compress(PAGE)
        srv.route("/gzip", Reply(200, whole, {**HTML, "Content-Encoding": "gzip"}))
        srv.route("/deflate", Reply(200, zlib.compress(PAGE), {**HTML, "Content-Encoding": "deflate"}))
        raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        srv.route("/raw-deflate", Reply(200, raw.compress(PAGE) + raw.flush(), {**HTML, "Content-Encoding": "deflate"}))
        half = len(PAGE) // 2
        srv.route("/members", Reply(200, gzip.compress(PAGE[:half]) + gzip.compress(PAGE[half:]),
                                    {**HTML, "Content-Encoding": "gzip"}))
        srv.route("/cut-gzip", Reply(200, whole[: len(whole) * 2 // 3], {**HTML, "Content-Encoding": "gzip"}))
        srv.route("/no-trailer", Reply(200, whole[:-8], {**HTML, "Content-Encoding": "gzip"}))
        srv.route("/garbled", Reply(200, whole[:40] + b"\xff" * 64 + whole[104:], {**HTML, "Content-Encoding": "gzip"}))
        srv.route("/bomb", Reply(200, gzip.compress(_gzip_of_zeros(BOMB_MB), 9),
                                 {"Content-Type": "application/pdf", "Content-Encoding": "gzip, gzip"}))
        srv.route("/robots.txt", Reply(200, gzip.compress(b"User-agent: *\nDisallow: /private\n" * 40_000),
                                       {"Content-Type": "text/plain", "Content-Encoding": "gzip"}))
        srv.route("/private/a", Reply(200, PAGE, HTML))
        srv.route("/head", Reply(200, b"", {**HTML, "Content-Encoding": "gzip", "Content-Length": "0"}))
        yield srv


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate", "/members"])
def test_compressed_bodies_are_decoded_whole(server, tmp_path, path):
    (res,), _ = fetch_urls(tmp_path, [server.url(path)])
    assert res.ok and res.body == PAGE and res.text == PAGE.decode()


@pytest.mark.parametrize("path", ["/cut-gzip", "/no-trailer", "/garbled"])
def test_a_broken_compression_stream_is_truncated_and_not_archived(server, tmp_path, path):
    """The HTTP framing is whole (the server sent every byte it declared): the gzip stream inside it stops short,
    as one a cache stored cut off does. Archived as the page, it was parsed without the tables its end held."""
    (res,), f = fetch_urls(tmp_path / "archive", [server.url(path)], fetch_policy(retries=1))
    assert not res.ok and res.error_kind == "truncated" and res.sha256 is None, (res.error_kind, res.error)
    assert res.attempts == 2  # worth another try, as a body cut short of its Content-Length is
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").rglob("*"))


def test_a_stacked_gzip_bomb_is_refused_without_unpacking_it(server, tmp_path):
    """A few kilobytes sent as `Content-Encoding: gzip, gzip` unpack to 96 MB: the body cap must hold while
    decoding, not after. Unpacked a read at a time, one crawl process held the whole (2 GB from 1,831 bytes,
    measured), enough to have a night killed for its memory by one document."""
    assert len(server._routes["/bomb"][0].body) < 1024
    tracemalloc.start()
    try:
        (res,), _ = fetch_urls(tmp_path, [server.url("/bomb")], fetch_policy(max_body_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.error_kind == "body_too_large" and "1000000" in res.error
    assert peak < 12 << 20, f"peak {peak >> 20} MB while refusing a 1 MB cap"


def test_a_compressed_robots_txt_is_read_to_its_cap(server, tmp_path):
    (res,), _ = fetch_urls(tmp_path, [server.url("/private/a")], fetch_policy(respect_robots=True))
    assert res.error_kind == "robots_disallowed"


def test_an_empty_body_labelled_gzip_is_no_truncation(server, tmp_path):
    (get, head), _ = fetch_urls(tmp_path, [server.url("/head"), ((server.url("/head"),), {"method": "HEAD"})])
    assert get.ok and get.body == b"" and head.ok, (get.error, head.error)


def test_members_and_streams_split_anywhere_across_reads():
    """A read may end anywhere, inside the two bytes that start the next gzip member too."""
    from govreports.fetch.decoding import BodyDecoder

    half = len(PAGE) // 2
    first = gzip.compress(PAGE[:half])
    body = first + gzip.compress(PAGE[half:])
    for cut in (len(first), len(first) + 1):  # the next member starts a read, or one byte of it ends the last
        decoder = BodyDecoder("gzip")
        pieces = [*decoder.decode(body[:cut]), *decoder.decode(body[cut:]), *decoder.finish()]
        assert b"".join(pieces) == PAGE, cut
    for encoding, packed in (("gzip", body), ("x-gzip", body), ("deflate", zlib.compress(PAGE)),
                             ("gzip, deflate", zlib.compress(gzip.compress(PAGE)))):
        decoder = BodyDecoder(encoding)
        pieces = [p for i in range(0, len(packed), 7) for p in decoder.decode(packed[i:i + 7])]
        assert b"".join([*pieces, *decoder.finish()]) == PAGE, encoding
    assert b"".join(BodyDecoder("br").decode(b"as sent")) == b"as sent"  # not asked for: passed on, as httpx does


def test_only_the_encodings_the_decoder_reads_are_asked_for(server, tmp_path, monkeypatch):
    """httpx asks for br and zstd as soon as brotli or zstandard is installed (another package may pull either in),
    and a portal config's extra_headers copied from a browser's developer tools asks for them too; the body is now
    decoded here (decoding.BodyDecoder reads gzip and deflate), so a brotli answer would have been archived and
    parsed still packed. The request asks for what the decoder reads, whatever httpx or the config say."""
    import httpx._client

    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")  # brotli, zstandard there
    browser = {"Accept-Encoding": "gzip, deflate, br, zstd", "Accept": "text/html"}
    fetch_urls(tmp_path, [server.url("/gzip?default")])
    fetch_urls(tmp_path, [server.url("/gzip?browser")], fetch_policy(extra_headers=browser))
    asked = {seen.path: seen.headers.get("accept-encoding") for seen in server.hits("/gzip")}
    assert asked["/gzip?default"] == asked["/gzip?browser"] == "gzip, deflate"
