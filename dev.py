#!/usr/bin/env python3
"""Set up slm-tco in ./.venv and run it: the two commands of the README.

    python3 dev.py app     # set up, then open the Streamlit app on the default scenario
    python3 dev.py test    # set up (test extras, Chromium for the browser test), then lint and test

Only the standard library is used here, so this works on a machine with nothing but Python 3.11+ and
access to the package registries. Setting up again is quick: pip skips what is already installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
# CPU build, already on disk on our CI machines; an unpinned torch would pull a multi-GB CUDA build.
TORCH = "torch==2.13.0"
CHROMIUM = Path("/usr/bin/chromium")


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, env=env)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the project is installed
        sys.exit(f"slm-tco needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")


def install(extras: str) -> None:
    if "measure" in extras:
        run(PY, "-m", "pip", "install", "--quiet", TORCH)
    run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")


def ensure_chromium() -> None:
    """The browser test drives Debian's chromium headless; install it where we can (root + apt)."""
    if CHROMIUM.exists():
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        run(apt, "update", "-q")
        run(apt, "install", "-y", "-q", "--no-install-recommends", "chromium")
    else:
        print(
            "note: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);"
            " the browser test will be skipped",
            flush=True,
        )


def app(args: list[str]) -> None:
    ensure_venv()
    install("measure")
    run(BIN / "streamlit", "run", "app.py", "--browser.gatherUsageStats", "false", *args)


def test(args: list[str]) -> None:
    ensure_venv()
    install("measure,test")
    ensure_chromium()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(PY, "-m", "pytest", *args)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("app", "test"):
        sys.exit("usage: python3 dev.py app|test [extra arguments for streamlit or pytest]")
    {"app": app, "test": test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:
        sys.exit(e.returncode)
