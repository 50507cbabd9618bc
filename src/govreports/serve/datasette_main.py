"""Datasette's own command line, with the database served under the name `serve` chose for it.

Datasette names a database after its file (年报.db: 年报) and routes a name holding anything but ASCII letters,
digits, - and _ only tilde-encoded (/~E5~B9~B4~E6~8A~A5.json); datasette-dashboards puts the name into its data
URLs as it is, so the dashboard of 年报.db, `my reports.db` or reports.v2.db fetched every chart's rows from a 404
page and drew nothing. `serve` gives such a database a plain name (launch.database_name), the metadata's, and
this module renames it as Datasette starts.

Run as: python -m govreports.serve.datasette_main NAME serve DB [datasette options…]
"""

from __future__ import annotations

import sys

from datasette import hookimpl


class DatabaseName:
    """A Datasette plugin (registered in this process only): the one database file is named `name`."""

    def __init__(self, name: str):
        self.name = name
        self.__name__ = "govreports.serve.datasette_main"  # how Datasette lists a plugin (/-/plugins)

    @hookimpl
    def startup(self, datasette):
        for db in list(datasette.databases.values()):
            if not db.is_memory and db.name != self.name:
                datasette.remove_database(db.name)
                datasette.add_database(db, name=self.name)


class AgencyNames:
    """A Datasette plugin: the dashboard page's script offering agency names as they are typed
    (serve.agency_names)."""

    __name__ = "govreports.serve.agency_names"

    def __init__(self, name: str):
        self.name = name

    @hookimpl
    def extra_body_script(self, template, datasette):
        if template != "dashboard_view.html":
            return None
        from govreports.serve.agency_names import script

        return script(datasette.urls.database(self.name))


class SearchFunction:
    """A Datasette plugin: the SQL function the canned query search_sections calls (serve.search)."""

    __name__ = "govreports.serve.search"

    @hookimpl
    def prepare_connection(self, conn):
        from govreports.serve.search import register

        register(conn)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    name = args.pop(0)
    from datasette.cli import cli
    from datasette.plugins import pm

    pm.register(DatabaseName(name), name="govreports-database-name")
    pm.register(SearchFunction(), name="govreports-search")
    pm.register(AgencyNames(name), name="govreports-agency-names")
    cli.main(args=args, prog_name="datasette")


if __name__ == "__main__":
    main()
