"""The agency dashboard's text box offers agency names as they are typed: a script, added to the dashboard pages
by `serve` (serve.datasette_main), that fills a <datalist> from the canned query agency_names (a few names at a
time, charts.dashboard.AGENCY_NAMES_SQL) instead of a drop-down of every agency's name."""

from __future__ import annotations

import json

from govreports.charts.dashboard import AGENCY_NAMES_QUERY

_SCRIPT = """(() => {
  const input = document.getElementById("agency");
  if (!input || input.tagName !== "INPUT") return;
  const list = document.createElement("datalist");
  list.id = "agency-names";
  input.after(list);
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  input.placeholder = "输入机关名称 / type an agency's name";
  input.style.width = "28em";  // room for a long name (a county's department: 20-odd characters)
  let asked = null, timer = null;
  const ask = () => {
    const q = input.value.trim();
    if (q === asked) return;
    asked = q;
    fetch(URL + "?_shape=arrayfirst&q=" + encodeURIComponent(q))
      .then((r) => (r.ok ? r.json() : []))
      .then((names) => {
        if (asked !== q) return;
        list.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), {value: name})));
      })
      .catch(() => {});
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 150); });
  input.addEventListener("focus", ask);
})();"""


def script(database_path: str) -> str:
    """The page's script, asking `database_path` (Datasette's path of the database, e.g. /govreports)."""
    url = f"{database_path.rstrip('/')}/{AGENCY_NAMES_QUERY}.json"
    return _SCRIPT.replace("URL +", f"{json.dumps(url)} +")
