"""The `tco` command: reports, validation, profiles, measurement and decision analysis.

`main` is the console entry point. It imports the command line only once it runs, so that Ctrl-C while
the libraries load (a second or two) prints one line too, not a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import sys
from typing import Any

INTERRUPTED = "error: interrupted, nothing written\n"


def main() -> None:
    """Entry point of the `tco` command: exit 0, 2 for bad input, 130 on Ctrl-C (at any moment)."""
    try:
        from tco.cli.main import run

        code = run()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED)
        code = 130
    sys.exit(code)


def __getattr__(name: str) -> Any:
    if name == "app":  # `from tco.cli import app` (tests, embedding) without loading it at import
        from tco.cli.main import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
