"""The accounting identities R1–R4 of FORMAT.md §6, evaluated on every report that has tables.

A report that breaks a rule is kept and flagged: real reports have typos, omitted 总计 cells and numbers merged
by extraction. A check whose inputs include a blank is not evaluable (ok = None), never ok = True.
"""

from __future__ import annotations

from govreports import schema


def _fmt(n) -> str:
    if type(n) is int:  # nearly every cell; the same text as below, without the float round trip
        return str(n)
    return "null" if n is None else (str(int(n)) if float(n).is_integer() else str(n))


def _check(rule: str, where: str, left: list, right: list) -> dict:
    detail = f"{' + '.join(map(_fmt, left))} = {' + '.join(map(_fmt, right))}"
    if None in left or None in right:  # cells are numbers or None, and no number equals None
        return {"rule": rule, "where": where, "ok": None, "detail": detail + " (blank cells: not evaluable)"}
    ok = abs(sum(left) - sum(right)) < 1e-9
    return {"rule": rule, "where": where, "ok": ok, "detail": detail}


def evaluate(record: dict) -> list[dict]:
    fmt = record.get("format")
    checks: list[dict] = []
    apps = record.get("applications")
    if apps and fmt in schema.TABLE_FORMATS:
        empty: dict = {}
        rows = {row: apps.get(row, empty) for row in schema.APPLICATION_ROWS[fmt]}  # every row the rules read
        new, carried_in, total, carried_out = rows["new"], rows["carried_in"], rows["total"], rows["carried_out"]
        outcomes = [rows[row] for row in schema.OUTCOME_ROWS[fmt]]
        for col in schema.APPLICANT_COLUMNS:
            checks.append(_check("R1", f"applications.{col}", [new.get(col), carried_in.get(col)],
                                 [total.get(col), carried_out.get(col)]))
        # a 2021 table that kept the 2019 form's single （六）其他处理 row: the row is outside the 2021 keys (parse
        # keeps it in unkeyed_rows), so its three parts are blank and R2 is not evaluable; the detail says why
        lone_other = (record.get("unkeyed_rows") or {}).get("applications.other")
        for col in schema.APPLICANT_COLUMNS:
            check = _check("R2", f"applications.{col}", [total.get(col)], [cells.get(col) for cells in outcomes])
            if lone_other and check["ok"] is None:
                check["detail"] += ("; the table has the 2019 form's single （六）其他处理 row"
                                    f" ({_fmt(lone_other.get(col))}), not the 2021 form's three")
            checks.append(check)
        applicants = schema.APPLICANT_COLUMNS[:-1]
        for row, cells in rows.items():
            checks.append(_check("R3", f"applications.{row}", [cells.get("total")], list(map(cells.get, applicants))))
    review = record.get("review_litigation")
    if review:
        measures = schema.REVIEW_MEASURES[:-1]
        for group in schema.REVIEW_GROUPS:
            cells = review.get(group, {})
            checks.append(_check("R4", f"review_litigation.{group}", [cells.get("total")],
                                 list(map(cells.get, measures))))
    return checks
