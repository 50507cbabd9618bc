"""What the demo's 集约化 columns share (wenzhou's Hanweb dataproxy, taizhou's jpaas unit): a column of the agencies'
reports among notices, each an article at /{site}/art/Y/M/D/art_{column}_{id}.html, as Zhejiang's and Jiangsu's
government site platforms publish them; the sites differ in how the list is served."""

from __future__ import annotations

import random
from datetime import date, timedelta

from govreports.demo import agencies as A
from govreports.demo.catalog import Item, site_reports
from govreports.demo.documents import nonreport_body
from govreports.demo.records import YEARS


def column_items(site: str, city: str, agencies, topics: tuple[str, ...], noise: int, column: int, first_id: int,
                 seed: int) -> list[Item]:
    """The column, newest first: the agencies' reports and `noise` notices around them, dated over the same years so
    that reports fall on every page; ids rising with the date from `first_id`."""
    rng = random.Random(f"{site}|{seed}")
    rows = site_reports(site, agencies, seed)
    first = date(YEARS[0] + 1, 1, 1)
    span = (date(YEARS[-1] + 1, 6, 30) - first).days
    for n in range(noise):
        day = (first + timedelta(days=rng.randint(0, span))).isoformat()
        title = f"{city}{rng.choice(A.DEPARTMENTS)}关于{rng.choice(topics)}"
        rows.append(Item(f"{site}-noise-{n:04d}", site, "nonreport", title, day, kind="news", url_date=day))
    rows.sort(key=lambda it: (it.list_date, it.id), reverse=True)
    next_id = first_id
    for it in sorted(rows, key=lambda it: (it.url_date, it.id)):
        next_id += rng.randint(1, 40)
        y, m, d = (int(x) for x in it.url_date.split("-"))
        it.path = f"/{site}/art/{y}/{m}/{d}/art_{column}_{next_id}.html"
    return rows


def article_text(portal, it: Item) -> tuple[str, str, str]:
    """An article's title, publication date and body: the report's as the portal generates it, or a notice's."""
    if it.role == "report":
        record = portal.record(it)
        return record["title"], record["published"], portal.fragment(it)
    return it.list_title, it.list_date, nonreport_body(it.list_title, it.kind)
