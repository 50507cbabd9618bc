"""A Content-Type label that lies: a report document served as text/html keeps the documents' size cap and is
never decoded into text, while an HTML answer past the text cap is still refused.

Where the shape comes from: download servlets and JSPs that never set a type answer with the container's default,
``text/html;charset=…`` (Tomcat's JSP default; Pega's sendFile always, its support article SA-11444 shows a PDF so
served), and the demo portal's "hostile" fault serves a PDF report as text/html. Scanned reports reach 20–30 MB
(extract.limits), past max_text_bytes (10 MB), which guards list pages parsed in the crawl process.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from govreports.fetch import Archive
from httpserver import LocalServer, Reply, fetch_policy, fetch_urls

TEXT_CAP, DOC_CAP = 4_000, 50_000
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj << /Length 9 >> stream\nxxxxxxxxx\nendstream endobj\n" * 400
LABEL = {"Content-Type": "text/html;charset=UTF-8"}


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("word/document.xml", "<w:document>" + "<w:p/>" * 2000 + "</w:document>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server():
    assert TEXT_CAP < len(PDF) < DOC_CAP
    with LocalServer() as srv:
        srv.route("/scan.pdf", Reply(200, PDF, LABEL))
        srv.route("/chunked.pdf", Reply(200, PDF, LABEL, action="chunked"))
        srv.route("/report.docx", Reply(200, _docx(), LABEL))
        srv.route("/huge.pdf", Reply(200, PDF * 20, LABEL))
        srv.route("/page.html", Reply(200, b"<html><body>" + b"<p>x</p>" * 1000 + b"</body></html>", LABEL))
        srv.route("/chunked.html", Reply(200, b"<html><body>" + b"<p>x</p>" * 1000 + b"</body></html>", LABEL,
                                         action="chunked"))
        yield srv


def fetch(server, tmp_path, path, expect):
    (res,), _ = fetch_urls(Archive(tmp_path), [((server.url(path),), {"expect": expect})],
                           fetch_policy(max_text_bytes=TEXT_CAP, max_body_bytes=DOC_CAP))
    return res


@pytest.mark.parametrize("expect", ["binary", "html"])
@pytest.mark.parametrize("path", ["/scan.pdf", "/chunked.pdf", "/report.docx"])
def test_a_document_labelled_text_html_keeps_the_document_cap(server, tmp_path, path, expect):
    """Refused as body_too_large at the text cap, a scanned report over 10 MB from such a server was lost every
    night; as a report page (expect html) it was decoded into text the page's links were then parsed from."""
    res = fetch(server, tmp_path, path, expect)
    assert res.ok and res.error_kind is None, res.error
    assert res.body.startswith((b"%PDF-", b"PK\x03\x04")) and res.sha256
    assert res.text is None and res.encoding is None


def test_a_document_past_the_document_cap_is_still_refused(server, tmp_path):
    res = fetch(server, tmp_path, "/huge.pdf", "binary")
    assert res.error_kind == "body_too_large" and str(DOC_CAP) in res.error


@pytest.mark.parametrize("path", ["/page.html", "/chunked.html"])
def test_html_past_the_text_cap_is_still_refused(server, tmp_path, path):
    for expect in ("html", "binary"):
        res = fetch(server, tmp_path, path, expect)
        assert res.error_kind == "body_too_large" and str(TEXT_CAP) in res.error, (path, expect, res.error)
