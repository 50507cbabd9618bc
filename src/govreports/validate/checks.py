"""The accounting identities R1–R4 of FORMAT.md §6, evaluated on every report that has tables.

A report that breaks a rule is kept and flagged: real reports have typos, omitted 总计 cells and numbers merged
by extraction. A check whose inputs include a blank is not evaluable (ok = None), never ok = True; unless the cells
given on one side already exceed the other side, given whole: counts are never negative, so no value of the blanks
makes it hold (ok = False).

Nor is a rule the parser used to read the cells evidence: text that lost its whitespace has a row's digits run
together, and parse.runs cuts them where 总计 is the sum of the parts (R3, R4), or keeps the cuts that let R1 and R2
hold across rows. Such a rule holds by construction (a row that broke it would not be cut: null), so it is not
evaluable, and says why; the record's `text_layout` names the cells cut (`recovered`) and rows narrowed (`narrowed`).
"""

from __future__ import annotations

from govreports import schema


_OTHER_FORM = {"2019": "2021", "2021": "2019"}


def _fmt(n) -> str:
    if type(n) is int:  # nearly every cell; the same text as below, without the float round trip
        return str(n)
    return "null" if n is None else (str(int(n)) if float(n).is_integer() else str(n))


def _check(rule: str, where: str, left: list, right: list) -> dict:
    detail = f"{' + '.join(map(_fmt, left))} = {' + '.join(map(_fmt, right))}"
    if None in left or None in right:  # cells are numbers or None, and no number equals None
        if _exceeded(left, right) or _exceeded(right, left):
            return {"rule": rule, "where": where, "ok": False,
                    "detail": detail + " (blank cells, but the cells given exceed the other side whatever they hold)"}
        return {"rule": rule, "where": where, "ok": None, "detail": detail + " (blank cells: not evaluable)"}
    ok = abs(sum(left) - sum(right)) < 1e-9
    return {"rule": rule, "where": where, "ok": ok, "detail": detail}


def _exceeded(whole: list, parts: list) -> bool:
    """Whether `parts`' cells given already exceed `whole`, every cell of which is given: no count a blank among the
    parts hides (none is negative) can bring them back down, so the identity fails whatever the blanks hold (a
    report leaving its zeros blank, 7 = 6 + _ + _ + 2). Never where a cell given is negative: then it could."""
    if None in whole:
        return False
    given = [n for n in parts if n is not None]
    return min(whole + given, default=0) >= 0 and sum(given) - sum(whole) > 1e-9


BY_CONSTRUCTION = "(cut from a digit run so that this rule holds: no evidence either way)"


def _by_construction(check: dict) -> dict:
    """The check of a rule the cells were cut by: not evaluable, whatever the sums say (they hold, by design)."""
    if check["ok"] is not None:
        check["ok"], check["detail"] = None, f"{check['detail']} {BY_CONSTRUCTION}"
    return check


def evaluate(record: dict) -> list[dict]:
    checks = _evaluate(record)
    layout = record.get("text_layout") or {}
    cut = set(layout.get("recovered", ()))
    if not cut:
        return checks
    narrowed = bool(layout.get("narrowed"))
    for check in checks:
        table, _, where = check["where"].partition(".")
        if check["rule"] in ("R3", "R4"):  # a row's (group's) every cell cut on this rule: its 总计 = the sum
            cols = (schema.APPLICANT_COLUMNS if check["rule"] == "R3" else schema.REVIEW_MEASURES)
            if all(f"{table}.{where}.{col}" in cut for col in cols):
                _by_construction(check)
        elif narrowed:  # R1 and R2 chose among the rows' cuts: whichever was kept holds them
            _by_construction(check)
    return checks


def _evaluate(record: dict) -> list[dict]:
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
        # a table whose （六）其他处理 is the other form's (a 2021 table that kept the 2019 form's single row, a 2019
        # table with the 2021 form's three sub-rows): those rows are outside the format's keys (parse keeps them in
        # unkeyed_rows), so the format's own （六） cells are blank and R2 is not evaluable; the detail says why (not
        # where the table has both, a subtotal row above the parts: its own cells are read, another blank is why)
        unkeyed = record.get("unkeyed_rows") or {}
        other_form = [(row, unkeyed[f"applications.{row}"]) for row in schema.OTHER_ROWS[_OTHER_FORM[fmt]]
                      if f"applications.{row}" in unkeyed]
        own_other = [rows[row] for row in schema.OTHER_ROWS[fmt]]
        for col in schema.APPLICANT_COLUMNS:
            check = _check("R2", f"applications.{col}", [total.get(col)], [cells.get(col) for cells in outcomes])
            if other_form and check["ok"] is None and all(cells.get(col) is None for cells in own_other):
                values = " + ".join(_fmt(cells.get(col)) for _, cells in other_form)
                check["detail"] += (f"; the table has the 2019 form's single （六）其他处理 row ({values}), not the 2021"
                                    " form's three" if fmt == "2021" else
                                    f"; the table has the 2021 form's （六）其他处理 sub-rows ({values}), not the 2019"
                                    " form's single row")
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
