"""Portal configuration files (config/*.toml), validated on load.

One file names one or more portals, each with the adapter for its CMS family and that adapter's parameters.
A mistake is reported with the file and the field (`config/portals/x.toml: portal[2].start_url: …`) before any
request is made. Strings may use `${NAME:-default}` so one file serves several machines (the demo portal's port).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ADAPTERS = ("trs", "hanweb", "gkmlpt", "json-api", "generic")
DEFAULT_USER_AGENT = "govreports/0.1 (+https://github.com/govreports/govreports; annual-report research crawler)"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the field."""


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_agent: str = DEFAULT_USER_AGENT
    per_host_delay: float = Field(1.0, ge=0)
    delay_jitter: float = Field(0.5, ge=0, le=1)
    per_host_concurrency: int = Field(1, ge=1, le=16)
    max_connections: int = Field(16, ge=1, le=256)
    connect_timeout: float = Field(10, gt=0)
    read_timeout: float = Field(30, gt=0)
    retries: int = Field(4, ge=0, le=10)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(60, ge=0)
    retry_after_max: float = Field(120, ge=0)
    max_body_bytes: int = Field(40_000_000, gt=0)
    respect_robots: bool = True
    adaptive: bool = True


class PortalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    adapter: Literal["trs", "hanweb", "gkmlpt", "json-api", "generic"]
    start_url: str
    title: str | None = None  # a human name for the portal (the agency or site)
    allowed_hosts: list[str] = []  # extra hosts (netlocs) beyond the start URL's
    attachment_hosts: list[str] = []  # hosts attachments may come from
    title_include: str | None = None  # regex replacing the default annual-report title test
    title_exclude: str | None = None  # regex of look-alikes to drop, added to the defaults
    max_pages: int = Field(200, ge=1)
    params: dict[str, Any] = {}
    note: str | None = None

    @field_validator("start_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @field_validator("title_include", "title_exclude")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset({urlsplit(self.start_url).netloc, *self.allowed_hosts, *self.attachment_hosts})


class CrawlConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    politeness: Politeness = Politeness()
    portal: list[PortalConfig]
    path: str = ""

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


def load_config(path: str | Path) -> CrawlConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        config = CrawlConfig.model_validate(_expand(raw))
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc
    config.path = str(path)
    from govreports.portals.adapters import check_params

    for i, portal in enumerate(config.portal):
        try:
            check_params(portal)
        except ValueError as exc:
            raise ConfigError(f"{path}: portal[{i}].params: {exc}") from exc
    return config


def load_configs(paths: list[Path]) -> CrawlConfig:
    """Several files as one crawl (the directory config/portals/): politeness from the first."""
    configs = [load_config(p) for p in paths]
    merged = CrawlConfig(politeness=configs[0].politeness, portal=[p for c in configs for p in c.portal])
    merged.path = ", ".join(str(p) for p in paths)
    return merged
