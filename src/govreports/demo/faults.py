"""Transport faults real portals show (PORTALS.md §2.2, §11), switchable and repeatable.

Why deterministic: a test that saw a 503 on a URL must see it again on the next run, so the affected URLs are
drawn from random.Random(seed + fault kind) over the catalog's article and attachment paths, and "first attempt"
means the first request for that path+query since the portal started (or since reset_faults()), whoever sends it.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field

KINDS = ("500", "503", "429", "slow", "reset", "truncate", "redirect-loop", "robots", "antibot-412", "antibot-521",
         "hostile")
# faults `all` leaves out: "hung-host", one whole host that takes connections and never answers (PORTALS.md §11,
# "one slow host"): a crawler gives it up after its host_silence_limit unanswered attempts, each its read timeout
# "no-pager": the TRS sites' column pages served without their pager script (the `var countPage` loop, the
# createPageHTML call), as a page template edited by the site can lose it: a crawler reads page 1 as the whole column
# and no page fails (portal health's list_shrank)
EXTRA_KINDS = ("hung-host", "no-pager")
HUNG_SITE = "custom"  # the site whose host hangs (demo/hosts.py): a generic-adapter site no other fault touches
# kinds that pick affected URLs among the articles (robots and the anti-bot gates act per site instead)
URL_KINDS = ("500", "503", "429", "slow", "reset", "truncate", "redirect-loop")
ANTIBOT_412_PREFIX = "/gd/"  # 瑞数-like gate on the gkmlpt site
ANTIBOT_521_PREFIX = "/govcn/"  # 加速乐-like gate on the gov.cn-style site
COOKIE_412 = "FSSBBIl1UgzbN7N80S"
COOKIE_521 = "__jsl_clearance_s"


@dataclass
class FaultConfig:
    enabled: frozenset[str] = frozenset()
    slow_seconds: float = 2.0
    rate: float = 0.05  # share of article URLs hit by each per-URL fault (at least one URL each)
    hang_seconds: float = 120.0  # how long the hung host holds each request before it closes the connection

    @classmethod
    def parse(cls, spec: str | None) -> FaultConfig:
        """"500,429,slow" → those faults; "" / None / "none" → none; "all" → every kind."""
        if not spec or spec.strip().lower() == "none":
            return cls()
        names = {s.strip().lower() for s in spec.split(",") if s.strip()}
        if "all" in names:
            names = (names - {"all"}) | set(KINDS)
        unknown = names - set(KINDS) - set(EXTRA_KINDS)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(KINDS + EXTRA_KINDS)}")
        return cls(frozenset(names))

    def __contains__(self, kind: str) -> bool:
        return kind in self.enabled


@dataclass
class FaultPlan:
    """Which URL suffers which fault, and how many times each URL has been asked for."""

    config: FaultConfig
    seed: int
    affected: dict[str, set[str]] = field(default_factory=dict)  # kind -> paths (with query for Hanweb downloads)
    permanent_500: str | None = None
    mislabelled: dict[str, str] = field(default_factory=dict)  # path -> the wrong Content-Type it is served with
    _attempts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def choose(self, article_paths: list[str], attachment_paths: list[str]) -> None:
        """Disjoint sets per kind so each fault is seen on its own; attachments join the transient kinds."""
        pool = sorted(article_paths)
        random.Random(f"faults|{self.seed}").shuffle(pool)
        per_kind = max(1, int(len(pool) * self.config.rate))
        cursor = 0
        for kind in URL_KINDS:
            if kind not in self.config:
                continue
            n = 1 if kind == "redirect-loop" else per_kind
            self.affected[kind] = set(pool[cursor:cursor + n])
            cursor += n
        if "500" in self.config:
            self.permanent_500 = pool[cursor]
            cursor += 1
        attachments = sorted(attachment_paths)
        for i, kind in enumerate(("503", "truncate")):  # one attachment each (a large body is what gets cut)
            if kind in self.config and len(attachments) > i:
                self.affected[kind].add(attachments[i])

    def mislabel(self, items) -> None:
        """The "hostile" fault's wrong content types: one HTML report page served as application/octet-stream and
        one PDF attachment as text/html (both are good reports: the content, not the label, must decide)."""
        taken = {p for paths in self.affected.values() for p in paths} | {self.permanent_500}
        free = [it for it in items if it.role == "report" and it.path not in taken]
        page = next(it for it in free if it.kind == "html")
        pdf = next(it for it in free if it.kind == "pdf" and it.attachment_file not in taken)
        self.mislabelled = {page.path: "application/octet-stream", pdf.attachment_file: "text/html; charset=utf-8"}

    def attempt(self, key: str) -> int:
        """Count a request for key (path?query); returns 1 for the first attempt."""
        with self._lock:
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return self._attempts[key]

    def reset(self) -> None:
        with self._lock:
            self._attempts.clear()

    def kinds_for(self, path: str) -> list[str]:
        return [kind for kind, paths in self.affected.items() if path in paths]


def token(seed: int, what: str) -> str:
    return hashlib.sha256(f"{seed}|{what}".encode()).hexdigest()


def gate_412_body(seed: int) -> bytes:
    """What a 瑞数-protected page returns first: an obfuscated script, the telltale <meta id>, no content."""
    blob = token(seed, "ts-blob") * 4
    return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{blob[:120]}" r="m">'
            f'<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts=window[\'$_ts\']={{}};'
            f'$_ts.nsd=58431;$_ts.cd="{blob[:96]}";</script>'
            f'<script type="text/javascript" charset="utf-8" src="/{blob[:10]}/{blob[10:20]}.js" r="m"></script>'
            f'</head><body></body></html>').encode("utf-8")


def clearance_521(seed: int) -> str:
    return f"1700000000.{int(token(seed, 'jsl')[:6], 16) % 1000:03d}|0|{token(seed, 'jsl-clear')[:24]}%3D"


def gate_521_body(seed: int) -> bytes:
    """加速乐's first round: a script that sets __jsl_clearance_s and reloads the same URL."""
    return (f"<script>document.cookie='{COOKIE_521}={clearance_521(seed)};max-age=3600;path=/';"
            f"location.href=location.pathname+location.search</script>").encode("utf-8")
