"""Where govreports keeps things by default, declared once: the CLI options, the Prefect flows (and so
prefect.yaml's parameters), the demo and the store all take their default paths from here.

Relative paths: they are read from the current directory, the repository root for `make demo` and a deployment's
working directory for a Prefect worker. The demo's config is the exception: it is part of the demo (the demo portal
it crawls is this package's code), so it is the repository's own config/demo.toml, wherever the demo is run from.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path("data")
DEFAULT_DB = DATA / "govreports.db"  # SQLite database (and `<database>.lock`, the writer lock)
DEFAULT_ARCHIVE = DATA / "archive"  # content-addressed raw bodies: data/archive/ab/cd/<sha256>
DEFAULT_PREFECT_HOME = DATA / "prefect"  # the ephemeral Prefect server's home for plain runs
DEFAULT_CONFIG = Path("config/portals")  # the real portals' config files
# the repository this package runs from (src/govreports/ of a clone, installed editable by `make install`)
REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "config" / "demo.toml"  # the demo portal's config (`govreports demo`); not in a built wheel


def prefect_home(db: str | Path) -> Path:
    """A plain run's Prefect home: `prefect/` beside the database (data/prefect for the default database)."""
    return Path(db).resolve().parent / DEFAULT_PREFECT_HOME.name


def config_files(config: str | Path) -> list[Path]:
    """A config file, or the `*.toml` files of a config directory in name order (`X.TOML` too: a file saved on
    Windows is not left out without a word), hidden ones left out: an editor's lock file (emacs `.#x.toml`) or
    macOS's `._x.toml` beside a real one is no config, and read as one it made the night's run exit 1."""
    config = Path(config)
    if not config.is_dir():
        return [config]
    return sorted(p for p in config.iterdir() if p.suffix.lower() == ".toml" and not p.name.startswith("."))
