"""A known report on a later night: its page answering 304 and its file asked again (attachment or data file), on
the session's demo portal. What is asked, how often, and what the item becomes."""

from __future__ import annotations

import pytest
from crawlhelp import crawl_demo

from govreports.demo.base import not_found


@pytest.mark.parametrize("file", ["attachment", "data file"])
def test_a_known_report_whose_file_is_gone_tonight_asks_for_the_file_once(demo_portal, tmp_path, monkeypatch, file):
    """The page answers 304 and the report's PDF (or the JavaScript data file holding its body) 404: a file host
    pruned, a file renamed. The file was asked a second time when the page was read again (and a 5xx's retries and
    waits twice over). Asked once, the item fails for it, and the report stays loaded."""
    from govreports.demo.sites import custom

    db, _ = crawl_demo(demo_portal, tmp_path, portals=("demo-custom",))
    base = demo_portal.base_url
    if file == "attachment":
        report = next(r for r in demo_portal.reports if r.site == "custom" and r.attachment_url)
        page, gone = report.url, report.attachment_url[len(base):]
    else:
        item = next(it for it in demo_portal.catalog.reports() if it.extra.get("body") == "script")
        page, gone = base + item.path, item.path.rsplit("/", 1)[0] + "/" + custom._data_file_name(item)
        assert db.execute("SELECT attachment_url FROM items WHERE url = ?", [page]).fetchone() == (base + gone,)
    real = custom.handle
    monkeypatch.setattr(custom, "handle", lambda req, portal: not_found() if req.path == gone else real(req, portal))
    demo_portal.clear_requests()
    _, summary = crawl_demo(demo_portal, tmp_path, db=db, portals=("demo-custom",))
    assert [r.status for r in demo_portal.requests if r.path == gone] == [404]
    assert summary.total("failed") == 1 and summary.total("changed") == 0
    status, report_id = db.execute("SELECT status, report_id FROM items WHERE url = ?", [page]).fetchone()
    assert status == "failed" and report_id is not None
