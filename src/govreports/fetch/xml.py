"""Parse untrusted XML (Hanweb datastore/dataproxy answers) without entity expansion or external fetches.

Two layers, as defusedxml does: documents that declare entities are refused before parsing (no legitimate portal
list needs them), and the lxml parser itself never resolves entities, loads DTDs or touches the network, so even
an encoding the byte scan misses (UTF-16) cannot expand a billion laughs or read ``file://``.
"""

from __future__ import annotations

import re

from lxml import etree

from govreports.errors import GovreportsError

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


class XMLRejected(GovreportsError, ValueError):
    """The document declares entities; it is refused rather than parsed (still a ValueError, as it always was)."""


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False,
        recover=recover,
    )


def safe_xml(data: str | bytes, *, recover: bool = False, forbid_entities: bool = True) -> etree._Element:
    """Return the root element of ``data``.

    Bytes keep their own ``<?xml encoding=…?>`` declaration; for a ``str`` the declaration is dropped (lxml refuses
    str input that carries one, and the text is already decoded). ``recover=True`` tolerates the broken markup some
    portals send. Raises ``XMLRejected`` for entity declarations (unless ``forbid_entities=False``, which leaves
    only the parser's own protections) and ``lxml.etree.XMLSyntaxError`` for malformed input.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if forbid_entities and _ENTITY_DECL.search(raw):
        raise XMLRejected("XML with <!ENTITY declarations is refused")
    if isinstance(data, str):
        root = etree.fromstring(_XML_DECL.sub("", data, count=1), _parser(recover))
    else:
        root = etree.fromstring(raw, _parser(recover))
    if root is None:
        raise etree.XMLSyntaxError("no root element", None, 0, 0)  # type: ignore[call-arg]
    return root
