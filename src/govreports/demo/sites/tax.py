"""国家税务总局-like site (/tax/): a column whose list a browser fills by script from a JSON list API taking a POST.

What is imitated (PORTALS.md §7; config/portals/chinatax.toml; a third-party crawler of the real column): the
entry page `/n810214/c102384r/index.html?tab=gknb` is the 信息公开 column with tabs, its list empty in the HTML —
the page's script POSTs `getFileListByCodeId` with the form `channelId=…&page=N&size=20&relateSubChannels=true`
(application/x-www-form-urlencoded) and writes what comes back. The answer is
`{"results": {"data": {"total": N, "results": [{"titleHtml", "url", "publishedTimeStr", …}]}}}`: `titleHtml` is
HTML (search-style highlighting `<font color="red">年度报告</font>` or `<em>`, spaces saved as `&nbsp;`), `url`
mostly absolute with the host, a few root-relative, `publishedTimeStr` "YYYY-MM-DD HH:MM:SS". Articles are
`…/c102384r/c{id}/content.html` with the body in `<div class="article-content" id="zoomcon">` (the crawler's
reading of the real pages), some with only a PDF or DOCX under `c{id}/{id}/files/`.

What the API answers besides a page ([inference]: the real one was never saved; a Spring-style controller taking
only POST): a GET, 405 with a JSON error; no channelId, 400 with a JSON error; an unknown channelId, 200 with
total 0 and no results; a page past the end, 200 with the total and no results. The look-alike columns
(政府网站工作年度报表, 政务公开工作要点, 统计年度报告) are tabs of the same page, other channels of the same API.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from html import escape

from govreports.demo import chrome
from govreports.demo.base import ATTACHMENT_KINDS, CONTENT_TYPES, Request, Response, file_ext
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import SITEMAPS

API = "/tax/getFileListByCodeId"
CT_JSON = "application/json;charset=UTF-8"
CST = timezone(timedelta(hours=8))
MAX_SIZE = 100  # a larger size is served as this many (the page's script asks for 20)
REPORT_CHANNEL = "61eaab3127b040d4950fff177f09e561"  # the real column's channelId (config/portals/chinatax.toml)


def channels() -> dict[str, str]:
    """channelId -> column key ("nb" the report column, else a look-alike's key)."""
    out = {REPORT_CHANNEL: "nb"}
    for link in SITEMAPS["tax"].decoys:
        out[hashlib.md5(f"tax-channel|{link.key}".encode()).hexdigest()] = link.key
    return out


def channel_of(key: str) -> str:
    return next(cid for cid, k in channels().items() if k == key)


def _items(portal, key: str):
    return portal.catalog.items["tax"] if key == "nb" else portal.catalog.decoy_column("tax", key)


def title_html(it, n: int) -> str:
    """The list title as the API's search index returns it: escaped, spaces as &nbsp;, and the words a search
    highlights wrapped in <font color="red"> (most items) or <em> (every fifth)."""
    text = escape(it.list_title, quote=False).replace(" ", "&nbsp;")
    word = "年度报告" if "年度报告" in text else None
    if word is None:
        return text
    mark = f"<em>{word}</em>" if n % 5 == 4 else f'<font color="red">{word}</font>'
    return text.replace(word, mark, 1)


def _time(it) -> tuple[str, int]:
    """publishedTimeStr and publishedTime (epoch ms) of an item: its list date at a working hour."""
    hour = 9 + int(hashlib.md5(it.id.encode()).hexdigest()[:2], 16) % 9
    moment = datetime.fromisoformat(it.list_date).replace(hour=hour, minute=30, second=12, tzinfo=CST)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), int(moment.timestamp() * 1000)


def _row(portal, it, n: int, channel: str) -> dict:
    shown, epoch = _time(it)
    # most urls carry the host (http://www.chinatax.gov.cn/… on the real site); every seventh is root-relative
    url = it.path if n % 7 == 3 else portal.url(it.path)
    source = portal.record(it)["agency"] if it.role == "report" else chrome.SITE_INFO["tax"][0].removesuffix("（演示）")
    return {"id": it.path.rsplit("/c", 1)[1].split("/")[0], "channelId": channel, "titleHtml": title_html(it, n),
            "subTitleHtml": "", "url": url, "redirectUrl": "", "publishedTimeStr": shown, "publishedTime": epoch,
            "domainMetaList": [{"resultList": [{"key": "source", "value": source}]}]}


def _json(value, status: int = 200) -> Response:
    return Response(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), CT_JSON, validators=False)


def _error(status: int, error: str, message: str) -> Response:
    return _json({"timestamp": "2026-12-01T08:00:00.000+0000", "status": status, "error": error, "message": message,
                  "path": "/getFileListByCodeId"}, status)


def list_api(req: Request, portal) -> Response:
    if req.method != "POST":
        return _error(405, "Method Not Allowed", f"Request method '{req.method}' not supported")
    form = req.form
    channel = (form.get("channelId") or [""])[0]
    if not channel:
        return _error(400, "Bad Request", "Required String parameter 'channelId' is not present")
    try:
        page = int((form.get("page") or ["1"])[0])
        size = min(int((form.get("size") or ["10"])[0]), MAX_SIZE)
    except ValueError:
        return _error(400, "Bad Request", "Failed to convert value of type 'java.lang.String' to required type 'int'")
    key = channels().get(channel)
    items = _items(portal, key) if key else []
    start = (page - 1) * size
    chosen = items[start:start + size] if page >= 1 and size >= 1 else []
    rows = [_row(portal, it, start + i, channel) for i, it in enumerate(chosen)]
    return _json({"results": {"data": {"total": len(items), "page": page, "size": size, "results": rows}},
                  "code": 200, "msg": "success"})


_SCRIPT = """<script>
(function () {
  var channelId = '%(channel)s', size = 20;  // this tab's channel
  var box = document.getElementById('fileList'), pager = document.getElementById('pager');
  function load(page) {
    var form = new URLSearchParams({channelId: channelId, page: page, size: size, relateSubChannels: 'true'});
    fetch('%(api)s', {method: 'POST', body: form}).then(function (r) { return r.json(); }).then(function (answer) {
      var data = answer.results.data, pages = Math.max(1, Math.ceil(data.total / size));
      box.innerHTML = data.results.map(function (x) {
        return '<li><a href="' + x.url + '" target="_blank">' + x.titleHtml + '</a> <span class="time" style="margin-left:1em;color:#666">'
          + x.publishedTimeStr.slice(0, 10) + '</span></li>';
      }).join('');
      var links = [];
      for (var i = 1; i <= pages; i++) {
        links.push(i === page ? '<b>' + i + '</b>' : '<a href="javascript:void(0)" data-page="' + i + '">' + i + '</a>');
      }
      pager.innerHTML = '共' + data.total + '条 ' + links.join(' ');
    });
  }
  pager.addEventListener('click', function (e) {
    var page = e.target.getAttribute && e.target.getAttribute('data-page');
    if (page) { load(parseInt(page, 10)); }
  });
  load(1);
})();
</script>"""


def column_page(portal, tab: str | None) -> Response:
    """The column with its tabs; `tab` picks the channel (none or unknown: the annual reports, as the site's menu
    links them)."""
    sm = SITEMAPS["tax"]
    tabs = sm.extra["tabs"]
    key = next((k for k, t in tabs.items() if t == tab), "nb")
    strip = "".join(f'<li class="{"on" if k == key else ""}"><a href="{sm.link(k).url}">{escape(sm.link(k).label)}</a></li>'
                    for k in ("nb", *(x.key for x in sm.decoys)))
    main = (f'<div class="gk-tabs"><ul>{strip}</ul></div>\n'
            f'<div class="gk-list"><ul class="list" id="fileList"></ul><div class="page" id="pager"></div></div>\n'
            + _SCRIPT % {"api": API, "channel": channel_of(key)})
    label = sm.link(key).label
    text = chrome.page("tax", label, main, crumbs=chrome.column_crumbs("tax", key))
    modified = portal.list_modified("tax") if key == "nb" else portal.started
    return Response(200, text.encode("utf-8"), last_modified=modified)


def detail_page(portal, it) -> Response:
    record = portal.record(it) if it.role == "report" else None
    title = record["title"] if record else it.list_title
    source = record["agency"] if record else chrome.SITE_INFO["tax"][0].removesuffix("（演示）")
    if record is None:
        body, extra = nonreport_body(title, it.kind), ""
    elif it.kind in ATTACHMENT_KINDS:
        file_id, name = it.attachment_path.rsplit("/", 3)[1], it.attachment_path.rsplit("/", 1)[1]
        body = f"<p>{escape(title)}全文请见附件。</p>"
        extra = (f'<div class="article-file">附件：<a href="./{file_id}/files/{name}" target="_blank">'
                 f"{escape(title)}.{file_ext(it.kind)}</a></div>")
    else:
        body, extra = portal.fragment(it), ""
    shown, _ = _time(it)
    head = (f'<meta name="ArticleTitle" content="{escape(title)}">\n<meta name="PubDate" content="{shown[:16]}">\n'
            f'<meta name="ContentSource" content="{escape(source)}">')
    main = (f'<div class="article"><h1 class="article-title">{escape(title)}</h1>'
            f'<div class="article-info"><span>来源：{escape(source)}</span><span>发布时间：{shown[:16]}</span></div>\n'
            f'<div class="article-content" id="zoomcon">\n{body}\n</div>\n{extra}</div>')
    text = chrome.page("tax", title, main, head=head, crumbs=chrome.item_crumbs("tax", it))
    return Response(200, text.encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    path = req.path
    column = SITEMAPS["tax"].extra["column"]
    if path in (column, column.rsplit("/", 1)[0] + "/"):
        return column_page(portal, req.arg("tab"))
    if path == API:
        return list_api(req, portal)
    if (it := portal.catalog.by_path.get(path)) is not None and it.site == "tax":
        return detail_page(portal, it)
    if (it := portal.catalog.attachments.get(path)) is not None and it.site == "tax":
        return Response(200, portal.attachment(it), CONTENT_TYPES[it.kind], last_modified=portal.modified(it))
    return None
