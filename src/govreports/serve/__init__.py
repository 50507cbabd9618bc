"""Datasette over the database: generated metadata (bilingual descriptions, facets, canned analyses) and launcher.

Public API:
    build_metadata(db_name) -> dict
    write_metadata(db_path, out=None) -> Path
    serve(db_path, host, port, metadata_out=None) -> subprocess.Popen   the child dies with this process (Linux)
    run(db_path, host, port, metadata_out=None) -> exit code         serve until stopped, then clean up
    sweep_metadata(directory=None) -> int                            remove temp metadata of dead serve processes
"""

from govreports.serve.launch import datasette_argv, run, serve, sweep_metadata, write_metadata
from govreports.serve.metadata import build_metadata

__all__ = ["build_metadata", "datasette_argv", "run", "serve", "sweep_metadata", "write_metadata"]
