"""Parse speed on one core: reports per second for the real 2019 HTML report and for a ~100 KB Word-export
portal page (a generated report in the Word-export layout, with long sections, inside portal chrome).

Goal (issue "Parse any annual report…"): ≥ 150 reports/s for HTML. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from govreports.parse import parse_bytes  # noqa: E402
from govreports.render import to_html  # noqa: E402
from strategies import record_fixture  # noqa: E402

SAMPLES = Path(os.environ.get("GOVREPORTS_SHARED", ROOT.parent / "shared")) / "samples"


def word_page(target_bytes: int = 100_000) -> bytes:
    record = record_fixture("2019")
    base = dict(record["sections"])
    page = to_html(record, style="word").encode("utf-8")
    factor = 1
    while len(page) < target_bytes:  # grow the narrative sections until the page is the size of a real one
        factor += 1
        record["sections"] = {k: "\n".join([v] * factor) for k, v in base.items()}
        page = to_html(record, style="word").encode("utf-8")
    return page


def rate(name: str, data: bytes, seconds: float = 3.0) -> None:
    parse_bytes(data)  # warm up (imports, OpenCC dictionaries)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        parse_bytes(data)
        n += 1
    elapsed = time.perf_counter() - start
    print(f"{name:<48} {len(data) / 1000:>7.1f} KB  {n / elapsed:>8.1f} reports/s  {1000 * elapsed / n:>6.2f} ms/report")


def main() -> int:
    rate("real 2019 HTML (02_shanghai_szfbgt_2019_fragment)",
         (SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html").read_bytes())
    rate("Word-export portal page (generated)", word_page())
    seed = SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    rate("seed text (tab-separated PDF text)", seed.read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
