"""Synthetic canonical records for tests and the load benchmark: real shape (schema.empty_tables), fake numbers.

Numbers satisfy R1 and R3 so that the records look like a well-kept report; `seed` makes them deterministic.
"""

from __future__ import annotations

import random

from govreports import schema

_TEXT = ("本机关深入贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
         "推进决策、执行、管理、服务、结果公开，依法保障人民群众的知情权、参与权、表达权和监督权。")


def make_record(agency: str, year: int, fmt: str = "2019", seed: int = 0, with_text: bool = True) -> dict:
    rnd = random.Random(f"{agency}|{year}|{fmt}|{seed}")
    tables = schema.empty_tables(fmt)
    for item, measures in tables["active"].items():
        for m in measures:
            measures[m] = None if m == "amount_unit" else rnd.randint(0, 50)
    if "procurement" in tables["active"]:
        tables["active"]["procurement"]["amount"] = round(rnd.uniform(0, 1e6), 2)
        tables["active"]["procurement"]["amount_unit"] = "元"
    apps = tables["applications"]
    people = schema.APPLICANT_COLUMNS[:-1]
    for row, cols in apps.items():
        for c in people:
            cols[c] = rnd.randint(0, 9)
    for c in people:  # make R1 hold: new + carried_in = total + carried_out
        apps["total"][c] = sum(apps[r][c] for r in schema.OUTCOME_ROWS[fmt])
        apps["carried_out"][c] = max(0, apps["new"][c] + apps["carried_in"][c] - apps["total"][c])
        apps["new"][c] = apps["total"][c] + apps["carried_out"][c] - apps["carried_in"][c]
    for cols in apps.values():  # R3: the row total
        cols["total"] = sum(cols[c] for c in people)
    for measures in tables["review_litigation"].values():
        for m in schema.REVIEW_MEASURES[:-1]:
            measures[m] = rnd.randint(0, 3)
        measures["total"] = sum(measures[m] for m in schema.REVIEW_MEASURES[:-1])
    checks = [{"rule": "R1", "where": f"applications.{c}", "ok": True, "detail": "synthetic"}
              for c in schema.APPLICANT_COLUMNS]
    checks += [{"rule": "R4", "where": f"review_litigation.{g}", "ok": True, "detail": "synthetic"}
               for g in schema.REVIEW_GROUPS]
    sections = {k: f"{heading}\n{_TEXT}" for k, heading in schema.SECTION_HEADINGS.items()} if with_text else {}
    return {"title": f"{agency}{year}年政府信息公开工作年度报告", "agency": agency, "year": year, "format": fmt,
            "published": f"{year + 1}-01-{rnd.randint(10, 31):02d}", "sections": sections, **tables,
            "checks": checks}
