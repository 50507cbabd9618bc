"""`make demo`: start the demo portal, run the nightly flow against config/demo.toml, show what was loaded.

The portal listens on a fixed port (8765) so that report URLs are the same from one `make demo` to the next:
the second run then finds every report unchanged (conditional GETs answered 304).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from govreports.demo.records import YEARS
from govreports.lifecycle import die_with_parent
from govreports.paths import DEFAULT_ARCHIVE, DEFAULT_DB, DEMO_CONFIG, prefect_home

EXAMPLES = (
    ("reports by agency and year",
     "govreports query \"SELECT a.name AS agency, r.year, r.format, r.title FROM reports r "
     "JOIN agencies a ON a.id = r.agency_id ORDER BY agency, r.year LIMIT 15\""),
    ("applications received by agency and year", "govreports analyze applications"),
    ("reports that break the accounting rules R1–R4", "govreports analyze rule_failures"),
    ("full-text search of the report texts", "govreports search 政策解读 --year 2023"),
    ("who was late or missing in 2023, by province", "govreports analyze late --year 2023"),
    ("one agency over all its years", "govreports report 国家数据局"),
    ("the same as a chart (PNG) for a paper or slides", "govreports chart late_missing --year 2023 -f png -o late-2023.png"),
    ("every report as one spreadsheet row, Chinese intact in Excel", "govreports export -t report_flat -o reports.xlsx --headers zh"),
    ("every portal on one screen: last run, reports known, open problems", "govreports status"),
)


def sites(config: str) -> int:
    """How many imitation sites the demo crawls: its config names one portal a site (a hard-coded count went stale
    as sites were added)."""
    import tomllib

    return len(tomllib.loads(Path(config).read_text(encoding="utf-8")).get("portal", []))


def _port_free(port: int) -> bool:
    """Whether nothing listens on `port` on any of the demo's hosts (each site is a loopback address of its own)."""
    from govreports.demo.hosts import ADDRESSES

    for address in ADDRESSES:
        with socket.socket() as s:
            if s.connect_ex((address, port)) == 0:
                return False
    return True


def _wait(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the demo portal exited before it was ready")
        try:
            urllib.request.urlopen(base + "/_demo/meta.json", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the demo portal did not start within a minute")


def main(port: int = 8765, db: str = str(DEFAULT_DB), archive: str = str(DEFAULT_ARCHIVE),
         config: str = str(DEMO_CONFIG)) -> int:
    if not Path(config).is_file():  # said before the portal and Prefect start, not as the flow's traceback
        print(f"error: no demo config at {config}: the demo runs from a clone of the govreports repository "
              "(installed with `make install`), whose config/demo.toml it crawls", file=sys.stderr)
        return 1
    if not _port_free(port):
        print(f"port {port} is in use: stop what listens there (or an earlier demo portal) and run make demo again",
              file=sys.stderr)
        return 1
    base = f"http://127.0.0.1:{port}"
    from govreports.demo.documents import can_make_doc

    can_make_doc()  # without LibreOffice the portal (its stderr is not shown) serves its .doc reports as DOCX: say so
    # GOVREPORTS_DEMO_GATE: with the site behind a JavaScript challenge (config/demo.toml's demo-gate, which
    # needs Chromium; without it that portal fails saying what to install and the others go on)
    from govreports.runs.prefect_env import configure
    from govreports.runs.prefect_server import start_early_server, startup_timeout

    configure(prefect_home(db))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    server = start_early_server()  # Prefect's server boots while the portal starts (runs.prefect_server)
    # the portal dies with this command, even killed (it would hold the port, and the next `make demo` would fail)
    portal = subprocess.Popen([sys.executable, "-m", "govreports", "demo-portal", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent(),
                              env={**os.environ, "GOVREPORTS_DEMO_GATE": os.environ.get("GOVREPORTS_DEMO_GATE", "1")})
    try:
        _wait(base, portal)
        print(f"demo portal running at {base}/ ({sites(config)} imitation government sites, each a host of its own "
              f"on port {port}: 127.0.0.2–127.0.0.11; one behind a JavaScript gate)")
        os.environ["GOVREPORTS_DEMO_PORT"] = str(port)
        from govreports.flows.nightly import nightly

        if server is not None:
            server.wait(startup_timeout())
        rows = nightly(config=config, db=db, archive=archive)
    finally:
        portal.terminate()
        portal.wait(timeout=10)
    from govreports.query.output import print_rows

    print_rows(rows)
    total = {k: sum(r[k] for r in rows) for k in ("found", "new", "changed", "unchanged", "failed")}
    print(f"nightly run: {total['found']} reports found, {total['new']} new, {total['changed']} changed, "
          f"{total['unchanged']} unchanged, {total['failed']} failed")
    if any("overdue" in r.get("health", "") for r in rows):
        print(f"(health 'overdue': the demo portal's reports cover {YEARS[0]}–{YEARS[-1]}, so no portal has "
              "published the latest year's report: the health check at work)")
    print(f"\ndatabase: {Path(db).resolve()}")
    print("query it (from this folder):")
    where = _scripts()
    for what, command in EXAMPLES:
        print(f"  # {what}\n  {where}{command}")
    print(f"  # browse it in Datasette, with the charts dashboard at /-/dashboards/overview\n  {where}govreports serve")
    return 0


def _scripts() -> str:
    """What goes before `govreports` in the printed commands: .venv/bin/ in the repository root (`make demo`);
    elsewhere the folder of this interpreter's scripts (.venv/bin/ was not there)."""
    if Path(".venv/bin/govreports").exists():
        return ".venv/bin/"
    here = Path(sys.executable).parent
    return f"{here}/" if (here / "govreports").exists() else f"{sys.executable} -m "


if __name__ == "__main__":
    sys.exit(main())
