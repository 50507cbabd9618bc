"""TRS WCM (拓尔思) static sites: /ordos/ (UTF-8, 0-based index_N.html) and /gbk/ (GBK bytes, 1-based index_N.shtml).

What is imitated (PORTALS.md §3, samples/html/trs_ordos_engebei_xxgknb_list.html): list rows in <table class=
"gl_list">, page links written only by a pager script (the raw HTML has no <a href="index_1.html">): on /ordos/ the
real column's `var countPage = N` + document.write loop, on /gbk/ tobacco.gov.cn's createPageHTML("page_div",
pageCount, currentIndex, name, ext, recordCount); articles ./YYYYMM/tYYYYMMDD_{docid}.html with ArticleTitle/PubDate
<meta>, the body in <div class="TRS_Editor"> (a 图片版 report's: its pages as pictures ./W0…_N.jpg), attachments
./P0….pdf|.docx|.doc|.ofd|.xls|.xlsx linked by insertfileTag, a needdownload link or written by JavaScript
(rel_appendix + document.write, or the older `var att` + document.write); one long report split over two article
pages, t…_{id}.html and t…_{id}_1.html, linked only by the article's own createPageHTML. The GBK site lists its rows
as mva.gov.cn does (the text cut with …, the date inside the link, the whole title only in title=) and sends
`Content-Type: text/html` without a charset: the charset is only in <meta http-equiv> (gb2312), the bytes are
GBK/GB18030.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from govreports.demo import chrome
from govreports.demo.base import CONTENT_TYPES, Request, Response, file_ext
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import SITEMAPS


@dataclass(frozen=True)
class TrsSite:
    site: str
    ext: str  # list and article extension
    per_page: int
    one_based: bool  # gbk: index.shtml, index_2.shtml, … ; ordos: index.html, index_1.html, …
    charset: str  # declared in <meta>; "utf-8" or "gb2312"
    countpage: bool = False  # list pages paged by the real ordos column's `var countPage = N` loop, not createPageHTML
    cut_titles: bool = False  # list rows as mva.gov.cn's: <li><a title="whole">cut…<span>date</span></a></li>

    @property
    def column(self) -> str:
        return f"/{self.site}/zwgk/xxgknb/"

    def page_name(self, k: int) -> str:
        """k = 0-based page number → file name."""
        if k == 0:
            return f"index.{self.ext}"
        return f"index_{k + 1 if self.one_based else k}.{self.ext}"

    def page_index(self, name: str) -> int | None:
        """File name → 0-based page number, None for names this site does not use (index_1.shtml on gbk)."""
        if name == f"index.{self.ext}":
            return 0
        m = re.fullmatch(r"index_([1-9]\d*)\." + self.ext, name)
        if not m:
            return None
        k = int(m.group(1)) - (1 if self.one_based else 0)
        return k if k >= 1 else None

    def encode(self, text: str) -> bytes:
        return text.encode("utf-8") if self.charset == "utf-8" else text.encode("gbk", errors="xmlcharrefreplace")

    def response(self, text: str, last_modified: float | None = None) -> Response:
        ctype = "text/html; charset=utf-8" if self.charset == "utf-8" else "text/html"
        return Response(200, self.encode(text), ctype, last_modified=last_modified)


ORDOS = TrsSite("ordos", "html", 20, False, "utf-8", countpage=True)
GBK = TrsSite("gbk", "shtml", 10, True, "gb2312", cut_titles=True)
CUT = 20  # characters of a title a cut list row shows

_PICTURE = re.compile(r"(.*/W0\d{20})_([1-9]\d*)\.jpg")  # page N of a 图片版 report: W0{ymd}{12 digits}_{N}.jpg
_LATER_PAGE = re.compile(r"(.*/t\d{8}_\d+)_([1-9]\d*)(\.s?html)")  # page k+1 of an article: t…_{id}_{k}.html
_PAGER_FN = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  document.write("共" + _nPageCount + "页&nbsp;");
  if(nCurrIndex == 0) document.write("首页&nbsp;");
  else document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;");
  for(var i=1; i<_nPageCount; i++){
    document.write("<a href=\\"" + _sPageName + "_" + %s + "." + _sPageExt + "\\">" + (i+1) + "</a>&nbsp;");
  }
}"""


# The real ordos column's pager (samples/html/trs_ordos_engebei_xxgknb_list.html): no createPageHTML call, the count in
# `var countPage = N` and the links written by an inline loop of document.write; the windowing past page 4 is the
# sample's elided branch, written here with the same link shapes
_ORDOS_PAGER = """var currentPage = %(k)d;//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = %(count)d//共多少页
//共计多少页
document.write("共计"+"&nbsp;<font style='color:#FF8008'>"+"%(count)d"+"&nbsp;</font>"+"页");
// 设置首页
document.write("&nbsp;<a href=\\"index."+"%(ext)s\\">首页</a>&nbsp;|");

//设置上一页代码
if(countPage>1&&currentPage!=0&&currentPage!=1)
document.write("<a href=\\"index"+"_" + prevPage + "."+"%(ext)s\\"><span class=greyfont>上一页</span></a>&nbsp;");
else if(countPage>1&&currentPage!=0&&currentPage==1)
document.write("<a href=\\"index.%(ext)s\\">&nbsp;<span class=greyfont>上一页</span></a>&nbsp;");
else
document.write("&nbsp;上一页&nbsp;");

//循环
var first = currentPage<=3 ? 0 : currentPage-3;
for(var i=first ; i<=first+6 && (i<countPage); i++){
if(currentPage==i)
document.write("&nbsp;<font style='color:#FF8008'>"+(i+1)+"</font>&nbsp;|");
else if(i==0)
document.write("&nbsp;<a href=\\"index.%(ext)s\\">1</a>&nbsp;|");
else
if(i>0) document.write("&nbsp;<a href=\\"index"+"_" + i + "."+"%(ext)s\\">"+(i+1)+"</a>&nbsp;|");
}
//设置下一页代码
if(countPage>1&&currentPage!=(countPage-1))
document.write("&nbsp;<a href=\\"index"+"_" + nextPage + "."+"%(ext)s\\">&nbsp;<span class=greyfont>下一页</span>&nbsp;</a>&nbsp;");
else
document.write("&nbsp;下一页&nbsp;");
// 设置尾页
if(countPage!=1)
document.write("&nbsp;<a href=\\"index"+"_" + (countPage-1)  + "."+"%(ext)s\\">尾页</a>&nbsp;");
else
document.write("&nbsp;尾页&nbsp;");"""


# tobacco.gov.cn's form (PORTALS.md §3): the pager <div>'s id first, the record count last, links written into the div
_DIV_PAGER_FN = """function createPageHTML(_sDivId, _nPageCount, _nCurrIndex, _sPageName, _sPageExt, _nRecordCount){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var html = "共" + _nRecordCount + "条&nbsp;共" + _nPageCount + "页&nbsp;";
  if(_nCurrIndex == 1) html += "首页&nbsp;";
  else html += "<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;";
  for(var i=1; i<_nPageCount; i++){
    html += "<a href=\\"" + _sPageName + "_" + (i+1) + "." + _sPageExt + "\\">" + (i+1) + "</a>&nbsp;";
  }
  document.getElementById(_sDivId).innerHTML = html;
}"""


def _pager(spec: TrsSite, count: int, k: int, records: int, portal=None) -> str:
    if portal is not None and "no-pager" in portal.faults:  # the template lost its pager (demo.faults)
        return ""
    if spec.countpage:
        return (f'<div class="page"><script language="JavaScript" type="text/javascript">\n'
                f'{_ORDOS_PAGER % {"k": k, "count": count, "ext": spec.ext}}\n</script></div>')
    if spec.one_based:
        note = "//分页从1开始：第1页为index.shtml，第N页(N>=2)为index_N.shtml；第三个参数为当前页码(从1开始)"
        call = f'createPageHTML("page_div", {count}, {k + 1}, "index", "{spec.ext}", {records});'
        return (f'<div class="page" id="page_div"></div><script language="JavaScript" type="text/javascript">\n'
                f"{_DIV_PAGER_FN}\n{note}\n{call}\n</script>")
    else:
        fn = _PAGER_FN % "i"
        note = "//所在页从0开始：第1页为index.html，第k+1页为index_k.html"
        call = f'createPageHTML({count}, {k}, "index", "{spec.ext}");'
    return (f'<div class="page"><script language="JavaScript" type="text/javascript">\n{fn}\n{note}\n{call}\n'
            f"</script></div>")


def list_page(spec: TrsSite, portal, k: int) -> Response | None:
    """Page k of the report column."""
    return column_page(spec, portal, portal.catalog.items[spec.site], spec.column, "nb", k,
                       portal.list_modified(spec.site))


def column_page(spec: TrsSite, portal, items, column: str, key: str, k: int, modified: float) -> Response | None:
    """Page k of a column (folder `column`, e.g. /ordos/zwgk/xxgknb/) listing `items`; `key` names it in the map."""
    count = max(1, -(-len(items) // spec.per_page))
    if k >= count:
        return None
    rows = []
    for it in items[k * spec.per_page:(k + 1) * spec.per_page]:
        href = "." + it.path[len(column) - 1:]
        if spec.cut_titles:  # mva.gov.cn's rows: the text cut, the date inside the link, the title only in title=
            shown = it.list_title if len(it.list_title) <= CUT else it.list_title[:CUT] + "…"
            rows.append(f'<li><a href="{href}" title="{escape(it.list_title)}" target="_blank">{escape(shown)}'
                        f'<span class="date">{it.list_date}</span></a></li>')
            continue
        rows.append(f'<tr valign="top"><td width="25"><img src="/{spec.site}/images/ico2.jpg"></td>'
                    f'<td width="550"><a href="{href}" title="{escape(it.list_title)}" target="_blank">'
                    f"{escape(it.list_title)}</a></td><td>{it.list_date}</td></tr>")
    if spec.cut_titles:
        main = '<ul class="list">\n' + "\n".join(rows) + f"\n</ul>\n{_pager(spec, count, k, len(items), portal)}"
    else:
        main = (f'<table width="682" border="0" cellspacing="0" cellpadding="0" class="gl_list"><tbody>\n'
                + "\n".join(rows) + f"\n</tbody></table>\n{_pager(spec, count, k, len(items), portal)}")
    label = SITEMAPS[spec.site].link(key).label
    text = chrome.page(spec.site, label, main, charset=spec.charset, crumbs=chrome.column_crumbs(spec.site, key))
    return spec.response(text, modified)


def _attachment_links(spec: TrsSite, it) -> str:
    name = it.attachment_path.rsplit("/", 1)[1]
    label = f"{it.list_title}{'（图片版）' if it.kind == 'scan' else ''}.{file_ext(it.kind)}"
    if it.link == "js":
        return ("<div class=\"fj\"><script language=\"javascript\">\n"
                f"var rel_appendix = '<a href=\"./{name}\">下载文字版</a>';\n"
                "if(rel_appendix!=''){document.write('附件：'+rel_appendix);}\n</script></div>")
    if it.link == "jsatt":  # the older template: the list in `att`, written into a <p> (PORTALS.md §3)
        return ("<div class=\"fj\"><script type=\"text/javascript\">\n"
                f"var att = '<a href=\"./{name}\" target=\"_blank\">{escape(label)}</a>';\n"
                "if(att!=''){document.write('附件：<br /><p>' + att + '</p>');}\n</script></div>")
    if it.link == "plain":
        return f'<div class="fj"><p>附件：<a href="./{name}">{escape(label)}</a></p></div>'
    if it.link == "appendix":  # the newer markup's download link (PORTALS.md §3)
        return (f'<div class="article_attachment"><p>附件：<a appendix="true" data-appendix="true" '
                f'needdownload="true" href="./{name}">{escape(label)}</a></p></div>')
    return (f'<p class="insertfileTag" style="line-height: 16px;"><a appendix="true" href="./{name}" '
            f'OLDSRC="/protect/{name[:8]}/{name}">{escape(label)}</a></p>')


def split_pages(fragment: str, count: int) -> list[str]:
    """A Word-markup body cut into `count` parts at paragraph starts near equal shares of its lines (one element a
    line: a table is never cut), as an editor's page breaks cut a long TRS article."""
    lines = fragment.split("\n")
    cuts = [0]
    for k in range(1, count):
        cut = next((i for i in range(max(cuts[-1] + 1, len(lines) * k // count), len(lines))
                    if lines[i].startswith("<p")), len(lines))
        cuts.append(cut)
    cuts.append(len(lines))
    return ["\n".join(lines[a:b]) for a, b in zip(cuts, cuts[1:])]


def _article_pager(it, count: int, k: int) -> str:
    """The article's own pager: TRS writes t…_{id}_1.html, … links with createPageHTML, named by the article."""
    stem, ext = it.path.rsplit("/", 1)[1].rsplit(".", 1)
    return (f'<div class="page"><script language="JavaScript" type="text/javascript">\n{_PAGER_FN % "i"}\n'
            f'createPageHTML({count}, {k}, "{stem}", "{ext}");\n</script></div>')


def article(spec: TrsSite, portal, it, k: int = 0) -> Response:
    """Page k (0-based) of an article; only a report split over pages (extra["pages"]) has a k ≥ 1."""
    if it.role == "hostile":
        return hostile_article(spec, portal, it)
    source = portal.catalog.record_item(it)
    record = portal.record(source) if it.role in ("report", "repost") else None
    title = record["title"] if record else it.list_title
    published = record["published"] if record else it.list_date
    agency = record["agency"] if record else chrome.SITE_INFO[spec.site][0]
    head = (f'<meta name="ArticleTitle" content="{escape(title)}">\n<meta name="PubDate" content="{published} 10:12:08">\n'
            f'<meta name="ContentSource" content="{escape(agency)}">\n'
            f'<meta name="Keywords" content="{escape(chrome.column_label(spec.site, it))}">')
    if record is None:
        body = nonreport_body(it.list_title, it.kind)
        extra = ""
    elif it.kind == "pictures":  # a 图片版 report: its pages as pictures, ./W0…_N.jpg, one a paragraph
        name = it.extra["pictures"].rsplit("/", 1)[1]
        body = "\n".join(f'<p style="text-align: center;"><img src="./{name}_{k}.jpg" border="0" '
                         f'OLDSRC="/protect/{name[:8]}/{name}_{k}.jpg" /></p>'
                         for k in range(1, len(portal.pictures(it)) + 1))
        extra = ""
    elif it.attachment_path:  # a report, or a re-post of one, published as a file (its （超链版）)
        body = f"<p style=\"text-indent:2em\">{escape(title)}全文请见附件。</p>"
        extra = _attachment_links(spec, it)
    else:
        body = portal.fragment(source, style="word" if it.role == "repost" else None)
        extra = ""
    if (pages := it.extra.get("pages", 1)) > 1:
        body = split_pages(body, pages)[k]
        extra = _article_pager(it, pages, k)
    main = (f'<div class="article"><h1 class="title">{escape(title)}</h1>'
            f'<div class="info">发布时间：{it.list_date}　来源：{escape(agency)}　【字体：<a>大</a> <a>中</a> <a>小</a>】</div>\n'
            f'<div class="TRS_Editor"><style type="text/css">.TRS_Editor P{{margin-top:0;margin-bottom:12px;'
            f'line-height:1.8;font-family:宋体;font-size:12pt;}}</style>\n{body}\n</div>\n{extra}</div>')
    text = chrome.page(spec.site, title, main, charset=spec.charset, head=head,
                       crumbs=chrome.item_crumbs(spec.site, it))
    return spec.response(text, portal.modified(it))


def hostile_article(spec: TrsSite, portal, it) -> Response:
    """The "hostile" fault: the page is the pathological document, or an ordinary page linking it as attachment."""
    if it.kind == "page":
        return Response(200, portal.attachment(it), "text/html; charset=utf-8", last_modified=portal.started)
    body = f"<p>{escape(it.list_title)}全文请见附件。</p>{_attachment_links(spec, it)}"
    text = chrome.page(spec.site, it.list_title, f'<div class="TRS_Editor">{body}</div>', charset=spec.charset,
                       crumbs=chrome.column_crumbs(spec.site))
    return spec.response(text, portal.started)


def handle(spec: TrsSite, req: Request, portal) -> Response | None:
    path = req.path
    if not path.startswith(spec.column):
        return None
    rest = path[len(spec.column):]
    if rest == "":
        rest = spec.page_name(0)
    if "/" not in rest:
        k = spec.page_index(rest)
        return list_page(spec, portal, k) if k is not None else None
    if (it := portal.catalog.by_path.get(path)) is not None:
        return article(spec, portal, it)
    if (m := _LATER_PAGE.fullmatch(path)) and (it := portal.catalog.by_path.get(m.group(1) + m.group(3))):
        k = int(m.group(2))
        return article(spec, portal, it, k) if 1 <= k < it.extra.get("pages", 1) else None
    if (m := _PICTURE.fullmatch(path)) and (it := portal.catalog.pictured.get(m.group(1))):
        pictures = portal.pictures(it)
        k = int(m.group(2))
        return Response(200, pictures[k - 1], "image/jpeg", last_modified=portal.modified(it)) \
            if 1 <= k <= len(pictures) else None
    if (it := portal.catalog.attachments.get(path)) is not None:
        modified = portal.started if it.role == "hostile" else portal.modified(it)
        return Response(200, portal.attachment(it), CONTENT_TYPES[it.kind], last_modified=modified)
    return None
