"""The one base class of govreports' own errors, and the exit code each kind of failure gives a command.

Every error the package raises on purpose for the user is a `GovreportsError`: its message is written for the
person at the terminal (it names the file, field, query or holder), and its class says how a command ends —
`exit_code` 1 for input that failed (a report that cannot be parsed, a query that cannot run), 2 for a usage or
configuration error (nothing ran), 75 (EX_TEMPFAIL) when another run holds the database. A command can therefore
end any of them the same way: print `error: <message>` on stderr and exit with `exc.exit_code`.

The subclasses live beside the code that raises them (`parse.ParseError`, `portals.config.ConfigError`,
`query.readonly.QueryError`, `store.lock.DatabaseBusy`, `fetch.xml.XMLRejected`); some also keep the builtin base
they always had (`ConfigError` and `XMLRejected` are ValueErrors, `DatabaseBusy` a RuntimeError), so existing
`except` clauses still catch them.
"""

from __future__ import annotations

EXIT_FAILED = 1  # some input failed; each is named on stderr
EXIT_USAGE = 2  # usage or configuration error: nothing ran
EXIT_STORAGE = 74  # EX_IOERR (sysexits.h): the database or archive could not be written (a full disk); nothing lost
EXIT_BUSY = 75  # EX_TEMPFAIL (sysexits.h): another run holds the database; try again later
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE (sysexits.h): the Prefect server could not start or stopped answering
EXIT_TIME_LIMIT = 124  # as timeout(1) reports it: the run reached its --time-limit and was stopped


class GovreportsError(Exception):
    """An error whose message is for the user; `exit_code` is what a command that stops on it exits with."""

    exit_code: int = EXIT_FAILED

    @property
    def message(self) -> str:
        return str(self)


class StorageError(GovreportsError):
    """The database or the archive could not be written (a full disk, an I/O error, a read-only file): the run
    stops, since every further write would fail too. What was committed stays; what was not is fetched again by
    the next run."""

    exit_code = EXIT_STORAGE
