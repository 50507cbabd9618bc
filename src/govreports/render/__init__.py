"""Canonical records back into report documents (HTML, text, DOCX, PDF), each a pure function of the record.

They exist so that the parser can be tested by round trip (render -> parse -> the same record) on layouts taken from
real reports, and so the demo portal can serve generated reports. The official table forms live in `layout`.
"""

from govreports.render.docx import to_docx
from govreports.render.html import to_html
from govreports.render.pdf import to_pdf
from govreports.render.text import BLANK_PLACEHOLDER, to_text

HTML_STYLES = ("clean", "word")
TEXT_STYLES = ("tabs", "cell_per_line", "pipes")

__all__ = ["BLANK_PLACEHOLDER", "HTML_STYLES", "TEXT_STYLES", "to_docx", "to_html", "to_pdf", "to_text"]
