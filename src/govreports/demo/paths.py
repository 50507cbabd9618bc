"""Where each demo catalog item is served: its article path and its attachment's, in its site's CMS's URL style.

The catalog (demo/catalog.py) chooses what each site lists; this module alone knows how each CMS names the URLs
(TRS t{date}_{id}.html and P0….pdf, Hanweb art_{column}_{id}.html and downfile.jsp, gkmlpt post_{id}.html, gov.cn
content_{id}.htm, chinatax c{id}/content.html, the custom site's detail?id=). Ids come from random.Random seeded by
the site's name, so a path depends only on the seed and the items listed.
"""

from __future__ import annotations

import hashlib
import random

from govreports.demo.base import ATTACHMENT_KINDS, file_ext
from govreports.demo.sitemap import SITEMAPS

HANWEB_COLUMN, HANWEB_UNIT = 12377, 764752
TAX_COLUMN = "/tax/n810214/c102384r"  # the chinatax-like site's 信息公开 column: its tabs, and its articles below it


def digest(*parts) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def trs_file(seed: int, item_id: str, ymd: str, ext: str) -> str:
    """A TRS attachment's name: P0, the article's date, twelve digits of its own (P020230221531936597033.pdf)."""
    return f"P0{ymd}{int(digest(seed, item_id)[:12], 16) % 10**12:012d}.{ext}"


def assign_paths(items: list, site: str, seed: int) -> None:
    """Give a catalog site's items (newest first or not: ids grow with the URL date) their article paths and, for
    the reports served as a file, their attachment paths, each in its site's URL style."""
    rng = random.Random(f"ids|{seed}|{site}")
    by_age = sorted(items, key=lambda it: (it.url_date, it.id))
    next_id = {"ordos": 2082017, "gbk": 1436000, "hanweb": 1405000, "gd": 3400000, "govcn": 5350000,
               "custom": 7100, "tax": 5180000}[site]
    for it in by_age:
        next_id += rng.randint(1, 40)
        d = it.url_date
        ymd = d.replace("-", "")
        if site in ("ordos", "gbk"):
            ext = "html" if site == "ordos" else "shtml"
            it.path = f"/{site}/zwgk/xxgknb/{ymd[:6]}/t{ymd}_{next_id}.{ext}"
            if it.role == "report" and it.kind in ATTACHMENT_KINDS:
                name = trs_file(seed, it.id, ymd, file_ext(it.kind))
                it.attachment_path = it.attachment_file = f"/{site}/zwgk/xxgknb/{ymd[:6]}/{name}"
        elif site == "hanweb":
            y, m, dd = (int(x) for x in d.split("-"))
            it.path = f"/hanweb/art/{y}/{m}/{dd}/art_{HANWEB_COLUMN}_{next_id}.html"
            if it.role == "report" and it.kind in ATTACHMENT_KINDS:
                name = f"{digest(seed, it.id)[:32]}.{file_ext(it.kind)}"
                it.attachment_path = f"/hanweb/module/download/downfile.jsp?classid=0&filename={name}"
                it.attachment_file = f"/hanweb/attach/0/{name}"
        elif site == "gd":
            it.extra["post_id"] = next_id
            it.path = f"/gd/gkmlpt/content/{next_id // 1000000}/{next_id // 1000}/post_{next_id}.html"
            if it.role == "report" and it.kind in ATTACHMENT_KINDS:
                att = next_id * 10 + 7
                it.attachment_path = it.attachment_file = (
                    f"/gd/attachment/0/{att // 1000000}/{att // 1000}/{att}.{file_ext(it.kind)}")
        elif site == "govcn":
            it.path = f"/govcn/zhengce/content/{ymd[:6]}/content_{next_id}.htm"
        elif site == "tax":  # chinatax: …/c102384r/c{id}/content.html, files under …/c{id}/{id}/files/
            it.path = f"{TAX_COLUMN}/c{next_id}/content.html"
            if it.role == "report" and it.kind in ATTACHMENT_KINDS:
                name = f"{digest(seed, it.id)[:32]}.{file_ext(it.kind)}"
                it.attachment_path = it.attachment_file = f"{TAX_COLUMN}/c{next_id}/{next_id}/files/{name}"
        else:  # custom: one detail page, the document by id
            it.path = f"/custom/xxgk/nb/detail?id={next_id}"
            if it.role == "report" and it.kind in ATTACHMENT_KINDS:
                name = f"{digest(seed, it.id)[:20]}.{file_ext(it.kind)}"
                it.attachment_path = it.attachment_file = f"/custom/xxgk/nb/files/{name}"


_DIRS = {"wzbb": "wzndbb", "gzyd": "gzyd", "tjnb": "tjndbg", "news": "xwzx"}
_HANWEB_COLS = SITEMAPS["hanweb"].extra["columns"] | {"news": 12350}


def nav_path(site: str, key: str, serial: int, day: str) -> str:
    """Where a decoy or news item is served, in the site's own URL style."""
    ymd = day.replace("-", "")
    if site in ("ordos", "gbk"):
        ext = "html" if site == "ordos" else "shtml"
        folder = f"/{site}/xwzx" if key == "news" else f"/{site}/zwgk/{_DIRS[key]}"
        return f"{folder}/{ymd[:6]}/t{ymd}_{1900000 + serial * 53}.{ext}"
    if site == "hanweb":
        y, m, d = (int(x) for x in day.split("-"))
        return f"/hanweb/art/{y}/{m}/{d}/art_{_HANWEB_COLS[key]}_{1300000 + serial * 41}.html"
    if site == "govcn":
        folder = {"news": "/govcn/yaowen", "tjnb": "/govcn/shuju"}.get(key, "/govcn/zhengce")
        return f"{folder}/content/{ymd[:6]}/content_{4900000 + serial * 29}.htm"
    if site == "custom":
        folder = "/custom/xwzx" if key == "news" else f"/custom/xxgk/{key}"
        return f"{folder}/detail?id={3000 + serial * 7}"
    if site == "tax":  # the look-alikes are other channels of the same column; the news its own node
        folder = "/tax/n810219" if key == "news" else TAX_COLUMN
        return f"{folder}/c{4900000 + serial * 29}/content.html"
    return ""  # gd: set by the caller (gkmlpt post URLs)

def gd_post(post_id: int) -> str:
    return f"/gd/gkmlpt/content/{post_id // 1000000}/{post_id // 1000}/post_{post_id}.html"
