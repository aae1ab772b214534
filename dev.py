#!/usr/bin/env python3
"""Set up slm-tco in ./.venv and run it: the two commands of the README.

    python3 dev.py app     # set up, then open the Streamlit app on the default scenario (the task portfolio)
    python3 dev.py test    # set up (test extras, Chromium for the browser test), then lint and test

Only the standard library is used here, so this works on a machine with nothing but Python 3.11+ and
access to the package registries. Setting up again costs nothing when nothing changed: the install is
skipped while .venv/slm-tco-install.json (hash of pyproject.toml, Python version, extras) still matches.
"""

from __future__ import annotations

import hashlib
import json
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
STAMP = VENV / "slm-tco-install.json"  # what the last successful install was made from


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


def install_stamp(extras: str) -> dict[str, str]:
    """What an install depends on: pyproject.toml's hash, the venv's Python, the extras, the torch pin."""
    return {
        "pyproject_sha256": hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest(),
        "python": sys.version.split()[0],
        "extras": extras,
        "torch": TORCH if "measure" in extras else "",
    }


def installed(extras: str) -> bool:
    """True when .venv already holds an install made from the same pyproject.toml, Python and extras
    (or a superset of the extras: `test` installs what `app` needs)."""
    try:
        old = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    want = install_stamp(extras)
    have_extras = set(str(old.get("extras", "")).split(","))
    same = all(old.get(k) == want[k] for k in ("pyproject_sha256", "python"))
    return same and set(extras.split(",")) <= have_extras and (not want["torch"] or old.get("torch") == TORCH)


def install(extras: str) -> None:
    if installed(extras):
        print(f"{VENV.name}: up to date with pyproject.toml, skipping pip (delete {STAMP.name} to force)")
        return
    STAMP.unlink(missing_ok=True)
    steps = 2 if "measure" in extras else 1
    if "measure" in extras:
        print(f"[1/{steps}] installing {TORCH} (the CPU build; a minute or two)", flush=True)
        run(PY, "-m", "pip", "install", "--quiet", TORCH)
    print(
        f"[{steps}/{steps}] installing slm-tco with its [{extras}] dependencies (a few minutes on a fresh "
        "machine; pip names each package as it collects it)",
        flush=True,
    )
    run(PY, "-m", "pip", "install", "--progress-bar", "off", "-e", f".[{extras}]")
    print(f"{VENV.name}: installed", flush=True)
    tmp = STAMP.with_suffix(".tmp")
    tmp.write_text(json.dumps(install_stamp(extras), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, STAMP)  # atomic: a half-finished install leaves no stamp


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
