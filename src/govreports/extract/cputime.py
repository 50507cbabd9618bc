"""The CPU-time limit of a reader run as a subprocess (LibreOffice, catdoc, Tesseract): what a file costs, not the
time on the clock, which a machine busy with other work stretches (the parse workers and what they start run at
nice 10). The kernel holds the limit (RLIMIT_CPU, set by the shell that execs the reader; every process it starts
inherits it): SIGXCPU at the limit, SIGKILL a second later for a process that ignores it. No core file is written."""

from __future__ import annotations

import math
import resource
import signal


def whole_seconds(seconds: float) -> int:
    """The limit the kernel holds for `seconds`: RLIMIT_CPU counts whole seconds (rounded up, at least one)."""
    return max(1, math.ceil(seconds))


def cpu_limited(argv: list[str], seconds: float) -> list[str]:
    """`argv` run under a limit of `seconds` of CPU time (whole_seconds)."""
    soft = whole_seconds(seconds)
    return ["/bin/sh", "-c", f'ulimit -c 0; ulimit -H -t {soft + 1}; ulimit -S -t {soft} && exec "$@"', argv[0], *argv]


def children_cpu() -> float:
    """The CPU seconds of this process's children that have ended and been waited for, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def past_limit(returncode: int, used: float, seconds: float) -> bool:
    """Whether a reader that ended with `returncode`, its processes having used `used` CPU seconds, was ended by
    its limit: killed by the kernel's signal, or (soffice's launcher exits with a code of its own when soffice.bin
    is killed) failing once its processes had used the limit."""
    if returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return True
    return returncode != 0 and used >= 0.9 * whole_seconds(seconds)
