"""Portal configuration files (config/*.toml), validated on load.

One file names one or more portals, each with the adapter for its CMS family and that adapter's parameters.
A mistake is reported with the file and the field (`config/portals/x.toml: portal[2].start_url: …`) before any
request is made. Strings may use `${NAME:-default}` so one file serves several machines (the demo portal's port).

Each setting has one source: the politeness defaults are `FetchPolicy`'s own, and the adapter names and the check
of each adapter's parameters are the adapter registry's (`portals.adapters.ADAPTERS`, `check_params`). The
dependency runs one way, config → adapters; the adapters name `PortalConfig` only for type checking.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from govreports.errors import EXIT_USAGE, GovreportsError
from govreports.fetch.policy import FetchPolicy, normal_netloc
from govreports.extract.limits import DEFAULT_DEADLINE, DEFAULT_MEMORY_MB, DEFAULT_NICE
from govreports.portals.adapters import ADAPTERS, check_params

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_FETCH = FetchPolicy  # the fetcher's dataclass holds the defaults; the config only validates and overrides them


class ConfigError(GovreportsError, ValueError):
    """A configuration file that cannot be used; the message names the file and the field (exit code 2)."""

    exit_code = EXIT_USAGE


class Politeness(BaseModel):
    """The fetch settings a config file may set; defaults are FetchPolicy's own, declared there once."""

    # strict: TOML has real numbers and booleans, so "4" or true for a number is a mistake to name, not to read as 4 or 1
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # `inf`: no end between requests
    user_agent: str = _FETCH.user_agent
    per_host_delay: float = Field(_FETCH.per_host_delay, ge=0)
    delay_jitter: float = Field(_FETCH.delay_jitter, ge=0, le=1)
    per_host_concurrency: int = Field(_FETCH.per_host_concurrency, ge=1, le=16)
    max_connections: int = Field(_FETCH.max_connections, ge=1, le=256)
    connect_timeout: float = Field(_FETCH.connect_timeout, gt=0)
    read_timeout: float = Field(_FETCH.read_timeout, gt=0)
    total_timeout: float = Field(_FETCH.total_timeout, gt=0)  # per request; a URL never takes more than twice this
    retries: int = Field(_FETCH.retries, ge=0, le=10)
    backoff_base: float = Field(_FETCH.backoff_base, ge=0)
    backoff_max: float = Field(_FETCH.backoff_max, ge=0)
    retry_after_max: float = Field(_FETCH.retry_after_max, ge=0)
    host_silence_limit: int = Field(_FETCH.host_silence_limit, ge=0)  # timeouts in a row before a host is let be
    host_error_limit: int = Field(_FETCH.host_error_limit, ge=0)  # URLs in a row that spent their retries: the same
    refetch_after_days: float = Field(_FETCH.refetch_after_days, ge=0)  # a 304 believed that long (0: for good)
    max_body_bytes: int = Field(_FETCH.max_body_bytes, gt=0)
    max_text_bytes: int = Field(_FETCH.max_text_bytes, gt=0)  # HTML/XML/JSON answers (list pages parse in-process)
    respect_robots: bool = _FETCH.respect_robots
    adaptive: bool = _FETCH.adaptive
    max_delay: float = Field(_FETCH.max_delay, ge=0)
    blocked_delay: float = Field(_FETCH.blocked_delay, ge=0)  # between requests to a host that showed an anti-bot gate

    @field_validator("user_agent")
    @classmethod
    def _header_value(cls, value: str) -> str:
        """Sent as a header: a blank one failed in the fetcher, a Chinese one in httpx, each as a traceback once the
        crawl began (exit 1, "some portals unreachable"), after `crawl --check` had passed it."""
        if not value.strip():
            raise ValueError("a blank User-Agent: name the crawler and a contact, e.g. \"govreports/1.0 "
                             "(+mailto:you@example.org)\"")
        if not (value.isascii() and value.isprintable()):
            raise ValueError(f"{value!r} is not printable ASCII, as an HTTP header must be (write the name in "
                             "Latin letters)")
        return value


class Limits(BaseModel):
    """Bounded work per document: each is parsed in a worker process within a deadline and a memory cap (a
    document past them is recorded as too_slow / out_of_memory and the run goes on)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # `inf`: a parse with no end
    parse_deadline: float = Field(DEFAULT_DEADLINE, gt=0)  # seconds of CPU time per document (3× on the clock)
    parse_memory_mb: int = Field(DEFAULT_MEMORY_MB, ge=128)  # address space per parse worker
    parse_nice: int = Field(DEFAULT_NICE, ge=0, le=19)  # how far below the crawl's CPU priority its workers run


class Safety(BaseModel):
    """Where the crawler may connect. Portals are public sites: a name that resolves to a loopback, private,
    link-local or multicast address is refused unless the config says the portal is on such a network."""

    model_config = ConfigDict(extra="forbid", strict=True)
    allow_private_addresses: bool = False


class PortalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    adapter: str  # a name in the adapter registry (portals.adapters.ADAPTERS)
    start_url: str
    title: str | None = None  # a human name for the portal (the agency or site)
    allowed_hosts: list[str] = []  # extra hosts (netlocs) beyond the start URL's
    attachment_hosts: list[str] = []  # hosts attachments may come from
    title_include: str | None = None  # regex replacing the default annual-report title test
    title_exclude: str | None = None  # regex of look-alikes to drop, added to the defaults
    max_pages: int = Field(200, ge=1)
    params: dict[str, Any] = {}
    note: str | None = None
    region: str | None = None  # "江苏省/宿迁市/沭阳县": where the portal's agencies are (wins over their names)
    # "http": httpx only, a JavaScript gate is `blocked`; "browser": a gate is passed in headless Chromium and httpx
    # reuses its cookies (no Chromium: `browser_unavailable`); "auto": the same when Chromium is there (fetch/browser.py)
    fetch: Literal["http", "browser", "auto"] = "http"
    # robots.txt answering 5xx/429 (or breaking off): "disallow" the portal's hosts for the run (RFC 9309), or
    # "allow" them as with no rules (a robots.txt broken for good); fetch.policy.FetchPolicy.robots_unreachable_allow
    robots_unreachable: Literal["disallow", "allow"] = "disallow"

    @field_validator("adapter")
    @classmethod
    def _known_adapter(cls, value: str) -> str:
        if value not in ADAPTERS:
            raise ValueError(f"unknown adapter {value!r}; choose one of: {', '.join(ADAPTERS)}")
        return value

    @field_validator("start_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {value!r}")
        _check_netloc(parts.netloc, value)
        return value

    @field_validator("allowed_hosts", "attachment_hosts")
    @classmethod
    def _hosts(cls, values: list[str]) -> list[str]:
        """Matched as they stand against a URL's host or host:port: a URL, a path or a wildcard here would match
        nothing, and the portal's pages would fail `host_not_allowed` only once crawled."""
        for value in values:
            if "://" in value or "/" in value or "*" in value:
                raise ValueError(f"{value!r} is not a host: write \"host\" or \"host:port\", e.g. "
                                 "\"www.example.gov.cn\" (every subdomain is a host of its own)")
            _check_netloc(value, value)
        return values

    @field_validator("title_include", "title_exclude")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None:
            from govreports.regions import parse_region

            return parse_region(value).path  # raises ValueError naming what is wrong
        return value

    @property
    def hosts(self) -> frozenset[str]:
        """Normal netlocs (lower-case, no default port), as the fetcher compares them (fetch.policy.host_in)."""
        start = urlsplit(self.start_url)
        return frozenset({normal_netloc(start.netloc, start.scheme),
                          *map(normal_netloc, (*self.allowed_hosts, *self.attachment_hosts))})


class Incremental(BaseModel):
    """How often a report already loaded is asked again. Every run asks each known report page "has it changed?"
    (a conditional GET) by default; at national scale that is hundreds of thousands of requests a night for
    documents that almost never change. With `recheck_days = N` each known report is asked on one night in N,
    chosen by a hash of its URL, so the work is spread evenly over the nights; list pages are read every run, so
    new reports are found the night they appear, and anything not loaded (new, failed) is fetched every run."""

    model_config = ConfigDict(extra="forbid", strict=True)
    recheck_days: int = Field(1, ge=1, le=366)


class CrawlConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    politeness: Politeness = Politeness()
    safety: Safety = Safety()
    limits: Limits = Limits()
    incremental: Incremental = Incremental()
    portal: list[PortalConfig] = Field(min_length=1)  # a file of no portal would crawl nothing and say all is well
    path: str = ""
    # files of a directory that could not be used, each as (path, the ConfigError's message): load_configs with
    # skip_unusable; a private attribute, so no TOML file can set it
    _unusable: list[tuple[str, str]] = PrivateAttr(default_factory=list)
    _directory: bool = PrivateAttr(default=False)  # read as a directory's run (load_configs with skip_unusable)

    @property
    def unusable(self) -> list[tuple[str, str]]:
        """The files left out, with why."""
        return list(self._unusable)

    def left_out(self, named: list[str] | str | None) -> list[tuple[str, str]] | None:
        """The files left out, with why, that a run's verdict names (runs.verdict.judge) and its row in `runs`
        keeps (`status` shows the latest such row's). None when the run is not one over a whole directory: a run
        of named portals (all found, so those files did not touch it), or of a single file; its row then says
        nothing either way, and does not hide the last directory run's files from `status`."""
        return None if named or not self._directory else self.unusable

    @model_validator(mode="after")
    def _unique_names(self) -> "CrawlConfig":
        seen: set[str] = set()
        for p in self.portal:
            if p.name in seen:
                raise ValueError(f"portal name {p.name!r} appears twice")
            seen.add(p.name)
        return self

    def select(self, name: str | None) -> list[PortalConfig]:
        if name is None:
            return list(self.portal)
        chosen = [p for p in self.portal if p.name == name]
        if not chosen:
            if self._unusable:  # it may be in one of them: say why each could not be used
                raise ConfigError(f"no portal named {name!r} in the usable files (have: "
                                  f"{', '.join(p.name for p in self.portal)}); it may be in a file that could not be "
                                  f"used: {'; '.join(reason for _, reason in self._unusable)}")
            raise ConfigError(f"{self.path}: no portal named {name!r} (have: {', '.join(p.name for p in self.portal)})")
        return chosen


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        return _ENV.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _valid_keys(error: dict) -> str:
    """For a key the section does not know (a typo, most often): the keys it does know."""
    if error["type"] != "extra_forbidden":
        return ""
    section = tuple(part for part in error["loc"][:-1] if not isinstance(part, int))
    model = {(): CrawlConfig, ("politeness",): Politeness, ("safety",): Safety, ("limits",): Limits,
             ("incremental",): Incremental, ("portal",): PortalConfig}.get(section)
    return f" (valid keys: {', '.join(k for k in model.model_fields if k != 'path')})" if model else ""


def _check_netloc(netloc: str, value: str) -> None:
    """A host (and port) a connection can be made to: no blank in it, a port in range."""
    if any(c.isspace() for c in netloc):
        raise ValueError(f"a blank in the host of {value!r}")
    try:
        urlsplit(f"//{netloc}").port
    except ValueError as exc:  # "Port out of range 0-65535", "Port could not be cast to integer value as 'x'"
        raise ValueError(f"{exc} in {value!r}") from None


def _read_toml(path: Path) -> dict:
    """The file's tables, `${NAME}`s expanded (_expand); the file as written is kept under _AS_WRITTEN, for
    _validated to name a variable left unset in a field it rejects."""
    try:  # utf-8-sig: Windows editors write a byte-order mark, which TOML does not allow and no one sees
        written = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        return {**_expand(written), _AS_WRITTEN: written}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        line = bytes(exc.object[:exc.start]).count(b"\n") + 1  # the bytes the codec read (a BOM already gone)
        raise ConfigError(f"{path}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} on line {line}): save the file "
                          "as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _validated(model: type[BaseModel], raw: dict, path: Path):
    written = raw.pop(_AS_WRITTEN, {})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}{_valid_keys(e)}{_unset(written, e['loc'])}"
                             for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc


_AS_WRITTEN = "\0as written"  # a key no TOML table can hold unquoted, and none holds quoted


def _unset(written: dict, loc: tuple) -> str:
    """For a field rejected after `${NAME}` expanded to nothing (NAME unset, no `:-default`): the variable, which
    the message's value ("not an http(s) URL: '/index.html'") does not show."""
    value: Any = written
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return ""
    if not isinstance(value, str):
        return ""
    unset = [m.group(1) for m in _ENV.finditer(value) if m.group(2) is None and not os.environ.get(m.group(1))]
    return f" (${{{unset[0]}}} is not set in the environment)" if unset else ""


def load_config(path: str | Path) -> CrawlConfig:
    path = Path(path)
    config = _validated(CrawlConfig, _read_toml(path), path)
    config.path = str(path)
    for i, portal in enumerate(config.portal):
        try:
            check_params(portal)
        except ValueError as exc:
            raise ConfigError(f"{path}: portal[{i}].params: {exc}") from exc
    return config


class _Settings(BaseModel):
    """A file's tables other than its portals: what a directory takes from its first file even when that file's
    portals cannot be used."""

    model_config = ConfigDict(extra="ignore")
    politeness: Politeness = Politeness()
    safety: Safety = Safety()
    limits: Limits = Limits()
    incremental: Incremental = Incremental()


def load_configs(paths: list[Path], *, skip_unusable: bool = False) -> CrawlConfig:
    """Several files as one crawl (the directory config/portals/): politeness, limits and incremental from the
    first. Safety must agree: one file allowing private addresses would otherwise open them for every portal of the
    directory; and each portal needs a name of its own.

    A file that cannot be used: one that does not load, one whose [safety] differs from the one most files have
    (on a tie, the default one), and every file that gives a portal name another file gives (one portal's history
    must not go on under another site's). None of these rules depends on which file sorts first. Without
    `skip_unusable` (`--check`, a single file) any such file is a ConfigError that names every one, with why. With
    it (a run over a directory), they are left out, each with its reason, in the result's `unusable`, and the other
    files' portals are crawled: a typo in one portal's file, made by whoever added that portal, must not cost every
    other portal its night. The first file's settings apply, read alone when its portals cannot be used, and the
    defaults when even they cannot be read (said in its reason). A directory of no usable file is a ConfigError."""
    configs: list[CrawlConfig] = []
    unusable: dict[str, str] = {}
    for path in paths:
        try:
            configs.append(load_config(path))
        except ConfigError as exc:
            unusable[str(path)] = str(exc)
    if configs:
        _leave_out_unlike_safety(configs, unusable)
        configs = [c for c in configs if c.path not in unusable]
        _leave_out_shared_names(configs, unusable)
        configs = [c for c in configs if c.path not in unusable]
    if unusable and (not skip_unusable or not configs):
        raise ConfigError("; ".join(unusable[str(p)] for p in paths if str(p) in unusable))
    first = next((c for c in configs if c.path == str(paths[0])), None) or _settings_of(paths[0], unusable)
    return _merged(configs, first, paths, [(str(p), unusable[str(p)]) for p in paths if str(p) in unusable],
                   skip_unusable)


def _leave_out_unlike_safety(configs: list[CrawlConfig], unusable: dict[str, str]) -> None:
    """Each file whose [safety] differs from the one most files have; on a tie, the default one is kept (a file
    that opens private addresses is the exception, whichever name it has), else the first file's."""
    counts = Counter(c.safety.model_dump_json() for c in configs)
    most = max(counts.values())
    tied = [kind for kind, n in counts.items() if n == most]
    usual = Safety().model_dump_json() if Safety().model_dump_json() in tied else tied[0]
    for config in configs:
        if config.safety.model_dump_json() != usual:
            unusable[config.path] = (f"{config.path}: [safety] differs from the one most of the directory's files "
                                     f"have ({counts[usual]} of {len(configs)}); crawl its portals separately "
                                     "(--config FILE)")


def _leave_out_shared_names(configs: list[CrawlConfig], unusable: dict[str, str]) -> None:
    """Every file that gives a portal name another file gives."""
    givers: dict[str, list[tuple[str, int]]] = {}
    for config in configs:
        for i, portal in enumerate(config.portal):
            givers.setdefault(portal.name, []).append((config.path, i))
    for name, given in givers.items():
        files = list(dict.fromkeys(path for path, _ in given))
        for path, i in given if len(files) > 1 else ():
            others = ", ".join(f for f in files if f != path)
            unusable.setdefault(path, f"{path}: portal[{i}].name: {name!r} is also the name of a portal in "
                                      f"{others}; each file that gives it is left out until every portal has a "
                                      "name of its own")


def _settings_of(path: Path, unusable: dict[str, str]) -> _Settings:
    """The first file's settings, read alone: its portals could not be used, but its [politeness], [safety],
    [limits] and [incremental] may be sound, and they are the directory's. When they cannot be read either, the
    defaults (polite for real government sites), and its reason says so: a broken first file must not stop every
    portal, which it did whatever its name."""
    try:
        return _validated(_Settings, _read_toml(Path(path)), Path(path))
    except ConfigError:
        unusable[str(path)] += ("; its [politeness], [limits] and [incremental], which the directory's first file "
                                "gives every portal, could not be read either, so the defaults apply")
        return _Settings()


def _merged(configs: list[CrawlConfig], settings: CrawlConfig | _Settings, paths: list[Path],
            unusable: list[tuple[str, str]], directory: bool) -> CrawlConfig:
    merged = CrawlConfig(politeness=settings.politeness, safety=configs[0].safety, limits=settings.limits,
                         incremental=settings.incremental, portal=[p for c in configs for p in c.portal])
    merged.path = ", ".join(str(p) for p in paths)
    merged._unusable = unusable
    merged._directory = directory
    return merged
