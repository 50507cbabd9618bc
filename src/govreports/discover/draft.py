"""The `[[portal]]` TOML blocks discovery prints, checked by loading them as the crawl will.

Why text and not a TOML library: the block is for people to read and paste, so it keeps the order and the
comments of a hand-written config (config/demo.toml), and the project has no TOML writer. Strings are written as
JSON strings, which are valid TOML basic strings. A drafted file is loaded with `portals.config.load_config`
before it is shown — a block that would not load is a bug, never something the user finds out at crawl time.
"""

from __future__ import annotations

import ipaddress
import json
import re
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from govreports.paths import config_files
from govreports.portals.config import ConfigError, CrawlConfig, load_config

_GENERIC_LABELS = {"www", "gov", "cn", "com", "net", "org", "edu", "localhost"}


def portal_name(url: str, taken: set[str]) -> str:
    """A config name from the host (rsj.km.gov.cn → rsj-km), or from the first path step on a bare address
    (127.0.0.1:8765/ordos/ → ordos); -2, -3… when taken."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        labels: list[str] = []
    except ValueError:
        labels = [label for label in host.split(".") if label not in _GENERIC_LABELS]
    if not labels:
        first = next((step for step in parts.path.split("/") if step), "")
        labels = [first] if first else ["portal"]
    base = re.sub(r"[^a-z0-9_-]+", "-", "-".join(labels).lower()).strip("-_") or "portal"
    if not base[0].isalnum():
        base = "p" + base
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def value(v) -> str:
    """One TOML value: strings as JSON strings (valid TOML), booleans lower-case, numbers as they are, a table
    inline."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):  # an inline table (json-api's form); its keys as JSON strings, valid TOML keys
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v), ensure_ascii=False)


def block(*, name: str, adapter: str, title: str, start_url: str, params: dict, comment: str = "",
          region: str | None = None, fetch: str | None = None, allowed_hosts: list[str] | None = None) -> str:
    lines = [f"# {line}" for line in comment.splitlines()] + [
        "[[portal]]",
        f"name = {value(name)}",
        f"adapter = {value(adapter)}",
        f"title = {value(title)}",
        f"start_url = {value(start_url)}",
    ]
    if region:
        lines.append(f"region = {value(region)}  # from the site's name: check it")
    if fetch:
        lines.append(f"fetch = {value(fetch)}  # a JavaScript gate answers a plain client")
    if allowed_hosts:
        lines.append(f"allowed_hosts = [{', '.join(map(value, allowed_hosts))}]  # the column links its reports there")
    if params:
        inner = ", ".join(f"{key} = {value(v)}" for key, v in params.items())
        lines.append(f"params = {{ {inner} }}")
    return "\n".join(lines) + "\n"


def safety(allow_private_addresses: bool) -> str:
    """The `[safety]` table a portal on a local or intranet address needs (empty for public portals)."""
    if not allow_private_addresses:
        return ""
    return ("[safety]\nallow_private_addresses = true  # the portal is on a local or intranet address "
            "(discover --allow-private-addresses)\n")


def document(blocks: list[str], allow_private_addresses: bool) -> str:
    head = safety(allow_private_addresses)
    return (head + "\n" if head else "") + "\n".join(blocks)


def check(text: str) -> CrawlConfig:
    """Load `text` exactly as `govreports crawl --config` would (ConfigError, exit 2, when it does not load)."""
    with tempfile.TemporaryDirectory(prefix="govreports-discover-") as scratch:
        path = Path(scratch) / "discovered.toml"
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
    config.path = "(discovered)"
    return config


def existing_names(path: Path) -> set[str]:
    """The portal names taken where `path` is: its own (a ConfigError when it does not load; none when it does
    not exist yet), and those of the other config files of its folder, which a run over the folder crawls with
    it: a name two files give leaves both out of the run (portals.config.load_configs). A file of them that does
    not load gives none, as it gives no portal to a run."""
    names = {p.name for p in current.portal} if (current := _current(path)) is not None else set()
    for other in config_files(path.parent) if path.parent.is_dir() else ():
        if other.resolve() != path.resolve():
            try:
                names |= {p.name for p in load_config(other).portal}
            except ConfigError:
                pass
    return names


def _no_config_yet(path: Path) -> bool:
    """Nothing at `path` to append the blocks to: no file, or no regular file (a named pipe, /dev/stdout), which
    is written in place and never read (read, a pipe waited for ever for a writer). A folder is left to
    `load_config` to refuse."""
    return not path.exists() or not (path.is_file() or path.is_dir())


def _current(path: Path) -> CrawlConfig | None:
    """`path`'s config; None when there is no file, or a file that holds no portal yet (made empty for the blocks,
    or holding comments or [politeness] alone), which `load_config` refuses ("portal: Field required"). A file
    that is no TOML is left to `load_config` to name; the merged text is checked whole anyway."""
    if _no_config_yet(path):
        return None
    try:
        if "portal" not in tomllib.loads(path.read_text(encoding="utf-8")):
            return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    return load_config(path)


def merged(path: Path, blocks: list[str], allow_private_addresses: bool) -> str:
    """`path`'s text with `blocks` appended (a new file when there is none), checked by loading it.

    A file whose `[safety]` forbids private addresses cannot take a portal that needs them: crawled together,
    one setting would apply to all (ConfigError, exit 2)."""
    if _no_config_yet(path):
        text = document(blocks, allow_private_addresses)
    else:
        current = _current(path)
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + "\n".join(blocks)
        allowed = current.safety.allow_private_addresses if current is not None else \
            tomllib.loads(text).get("safety", {}).get("allow_private_addresses") is True
        if allow_private_addresses and not allowed:
            if "[safety]" in text:
                raise ConfigError(f"{path}: its [safety] does not allow private addresses; add "
                                  "allow_private_addresses = true there, or write these portals to another file")
            text += "\n" + safety(True)
    check(text)
    return text


def check_writable(path: Path) -> None:
    """Refuse, before any page is asked for, a `--write` path whose folder cannot be: its nearest existing
    ancestor is a file (ConfigError). Asked after the walk, it was a FileExistsError traceback."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"cannot write {path}: {folder} is not a folder")


def write(path: Path, text: str) -> None:
    """Replace `path` by `text` whole, as `export -o` writes (query.atomic_output): a temp file beside it, renamed
    over it, so a config is never left half-written, nor a temp file beside it when the write fails (OSError);
    a path that is no regular file (a named pipe, /dev/stdout) is written in place: renamed over, the pipe became
    a file its reader never saw, and run as root /dev/null a regular file."""
    from govreports.query import atomic_output

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as out:
        out.write(text)
