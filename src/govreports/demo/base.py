"""The small request/response vocabulary shared by the demo sites and the server.

Sites are plain functions (Request, Portal) -> Response | None, so each CMS imitation stays a readable module and
the server alone deals with sockets, validators, faults and the request log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

CT_HTML_UTF8 = "text/html; charset=utf-8"
CT_PDF = "application/pdf"
CT_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CT_DOC = "application/msword"
CT_OFD = "application/ofd"
CT_XLS = "application/vnd.ms-excel"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CT_ZIP = "application/zip"
# an attachment kind -> its media type; "scan" is an image-only PDF (a 图片版 report), "zip" the report's PDF packed
CONTENT_TYPES = {"pdf": CT_PDF, "docx": CT_DOCX, "doc": CT_DOC, "ofd": CT_OFD, "scan": CT_PDF, "xls": CT_XLS,
                 "xlsx": CT_XLSX, "zip": CT_ZIP}
ATTACHMENT_KINDS = tuple(CONTENT_TYPES)


def file_ext(kind: str) -> str:
    """The file extension an attachment of this kind is served under (a scan is a .pdf)."""
    return "pdf" if kind == "scan" else kind


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""
    host: str = "127.0.0.1"  # the loopback address the request came to (demo/hosts.py)

    @property
    def args(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.args.get(name)
        return values[0] if values else default

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = CT_HTML_UTF8
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: float | None = None  # epoch seconds; with validators=True the server adds ETag/Last-Modified
    validators: bool = True


def html(text: str, status: int = 200, last_modified: float | None = None) -> Response:
    return Response(status, text.encode("utf-8"), CT_HTML_UTF8, last_modified=last_modified)


def not_found() -> Response:
    return Response(404, b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1>"
                         b"</center><hr><center>nginx</center></body></html>\n", "text/html", validators=False)
