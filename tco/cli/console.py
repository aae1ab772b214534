"""The command line's one way to print: one console for results, one for messages, one error exit.

Every `tco` command prints through `out` (stdout) and `err` (stderr). Both have markup off: names, ids,
paths and values are user text, printed as written (a scenario named `Plan [/b] 2026` or `[bold]x[/` is
shown as such, never read as styling); styles come only from `rich.text.Text` built here. A pipe or file gets
long lines rather than table cells folded to rich's 80-column default. `fail` is the one error exit: one
line on stderr, exit code 2 (130 for Ctrl-C); `friendly` wraps a command so that slm-tco's errors and the
system's refusals of a path reach the user that way, never as a traceback.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from tco.errors import TcoError

P = ParamSpec("P")
R = TypeVar("R")

STDOUT_ERRNOS = frozenset({errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG, errno.EDQUOT})
WIDE = 160  # columns of a table printed to a pipe or a file
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else WIDE, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one error line on stderr (the message literally, on one line) and return the Exit to raise."""
    line = " ".join(str(message).split())
    err.print(Text.assemble(("error:", "bold red"), " ", line))
    return typer.Exit(code)


def note(text: str) -> None:
    """One line on stderr, as written (no wrapping), so that stdout stays the result."""
    err.print(Text(text))


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn slm-tco errors into one line and exit 2, a path the system refuses into one line and exit 2,
    Ctrl-C into exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TcoError as e:
            raise fail(str(e)) from None
        except OSError as e:  # the system refused a path a user gave (too long, vanished, no permission)
            if not e.filename and e.errno in STDOUT_ERRNOS:  # printing the result: a full disk, a closed pipe
                drop_stdout()
                raise fail(f"stdout: cannot be written ({e.strerror or e})") from None
            where = f"{e.filename}: " if e.filename else ""
            raise fail(f"{where}{e.strerror or e}") from None
        except KeyboardInterrupt:
            raise fail("interrupted, nothing written", 130) from None

    return wrapper


def drop_stdout() -> None:
    """Point stdout at /dev/null: what it still buffers cannot be written, and Python would say so at exit
    in a traceback-like message of its own."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture it)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)
