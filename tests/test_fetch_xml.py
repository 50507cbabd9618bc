"""safe_xml never expands entities nor reads external ones (billion laughs, XXE via file://)."""

from __future__ import annotations

import pytest
from lxml import etree

from govreports.fetch import XMLRejected, safe_xml

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def _xxe(tmp_path) -> bytes:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]><r>&xxe;</r>'
    ).encode()


def test_entity_declarations_are_refused():
    with pytest.raises(XMLRejected):
        safe_xml(LAUGHS)
    with pytest.raises(XMLRejected):
        safe_xml(LAUGHS.decode())


def test_billion_laughs_not_expanded_by_the_parser_itself():
    """With the byte scan off, the lxml options alone must not expand it: libxml2 refuses it or leaves &lol9; as is."""
    try:
        root = safe_xml(LAUGHS, forbid_entities=False)
    except etree.XMLSyntaxError:
        return
    assert len(etree.tostring(root)) < 1000
    assert "lollol" not in "".join(root.itertext())


def test_external_entity_not_resolved(tmp_path):
    payload = _xxe(tmp_path)
    with pytest.raises(XMLRejected):
        safe_xml(payload)
    root = safe_xml(payload, forbid_entities=False)
    assert b"TOP-SECRET" not in etree.tostring(root)
    assert "TOP-SECRET" not in "".join(root.itertext())


def test_external_dtd_not_loaded(tmp_path):
    dtd = tmp_path / "x.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET">')
    root = safe_xml(f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file://{dtd}"><r>a</r>'.encode())
    assert root.text == "a"


def test_hanweb_datastore_parses_with_cdata_and_gbk_declaration():
    xml = (
        '<?xml version="1.0" encoding="gbk"?><datastore><totalrecord>2</totalrecord><recordset>'
        '<record><![CDATA[<li><a href="/art/2022/1/20/art_12377_1.html">镕基2021年报告</a></li>]]></record>'
        "</recordset></datastore>"
    )
    for data in (xml, xml.encode("gbk")):
        root = safe_xml(data)
        assert root.findtext("totalrecord") == "2"
        assert "镕基" in root.find("recordset/record").text


def test_recover_mode_tolerates_broken_markup():
    root = safe_xml(b"<datastore><record>a</record><junk></datastore>", recover=True)
    assert root.findtext("record") == "a"
    with pytest.raises(etree.XMLSyntaxError):
        safe_xml(b"<datastore><record>a</record><junk></datastore>")
