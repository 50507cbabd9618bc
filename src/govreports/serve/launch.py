"""Start Datasette over the database with the generated metadata (a child process: Datasette owns its loop)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from govreports.serve.metadata import build_metadata


def write_metadata(db_path: str | Path, out: str | Path | None = None) -> Path:
    """Write metadata JSON for `db_path` to `out` (default: a temporary file) and return its path."""
    meta = build_metadata(Path(db_path).stem)
    if out is None:
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", prefix="govreports-meta-", delete=False,
                                             encoding="utf-8")
        out = Path(handle.name)
        handle.close()
    out = Path(out)
    out.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def datasette_argv(db_path: str | Path, metadata: str | Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata", str(metadata),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, metadata_out: str | Path | None = None,
          **popen) -> subprocess.Popen:
    """Start Datasette and return the process (the caller waits for it or terminates it)."""
    metadata = write_metadata(db_path, metadata_out)
    return subprocess.Popen(datasette_argv(db_path, metadata, host, port), **popen)
