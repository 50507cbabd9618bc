"""Datasette over the database: generated metadata (bilingual descriptions, facets, canned analyses) and launcher.

Public API:
    build_metadata(db_name) -> dict
    write_metadata(db_path, out=None) -> Path
    serve(db_path, host, port, metadata_out=None) -> subprocess.Popen
"""

from govreports.serve.launch import datasette_argv, serve, write_metadata
from govreports.serve.metadata import build_metadata

__all__ = ["build_metadata", "datasette_argv", "serve", "write_metadata"]
