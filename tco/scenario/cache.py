"""A cache of validated reference data and scenarios, so a cold `tco report` does not parse ~500 quantities
(and build the pint registry) again.

The key is a SHA-256 over the content of every file an entry is built from (and their names), the slm-tco
source that validates and resolves data (tco/scenario, tco/engine), and the Python and pydantic versions: any change to the data or to
how it is validated misses the cache and validates from scratch. The cache is a pickle, so it is only read
from a folder that belongs to the current user and that nobody else can write (created 0700), from a file
with the same owner and no group or world write bit; anything else is ignored (and the data validated
again). Writes are atomic. `SLM_TCO_NO_CACHE=1` turns the cache off; `SLM_TCO_CACHE_DIR` moves it
(default: `$XDG_CACHE_HOME/slm-tco` or `~/.cache/slm-tco`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")
CACHE_ENV = "SLM_TCO_CACHE_DIR"
NO_CACHE_ENV = "SLM_TCO_NO_CACHE"
FORMAT = "slm-tco.repository-cache/1"
KEEP = 8  # cache entries kept (one per version of the data)


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slm-tco"


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("1", "true", "yes")


def _code_files() -> list[Path]:
    """The code that validates and resolves data: tco/scenario (with units.txt) and tco/engine."""
    here = Path(__file__).resolve().parent
    out: list[Path] = []
    for folder in (here, here.parent / "engine"):
        out += sorted(folder.rglob("*.py")) + sorted(folder.glob("*.txt"))
    return out


def file_digest(files: Iterable[Path], text: str = "") -> str:
    """SHA-256 of `text`, then of each file's name and content (in the order given)."""
    h = hashlib.sha256()
    h.update(text.encode("utf-8", "surrogateescape"))
    for path in files:
        h.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def key_of(files: Iterable[Path]) -> str:
    """SHA-256 of the files' names and contents, the validating code and the interpreter versions."""
    import pydantic

    return file_digest([*_code_files(), *files], f"{FORMAT}|{sys.version}|{pydantic.VERSION}")


def _private(path: Path, *, directory: bool) -> bool:
    """True when `path` is ours and nobody else can write it (POSIX); always True where there are no uids."""
    try:
        st = path.lstat()
    except OSError:
        return False
    if directory and not stat.S_ISDIR(st.st_mode):
        return False
    if not directory and not stat.S_ISREG(st.st_mode):
        return False
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def cached(files: list[Path], build: Callable[[], T], *, kind: str = "repository", extra: str = "") -> T:
    """`build()`'s result, read from the cache when the files (and the code) are unchanged.

    `kind` names the entry (`repository`, `scenario`); `extra` is more text the key depends on.
    """
    if not enabled():
        return build()
    try:
        key = hashlib.sha256((key_of(files) + "|" + extra).encode()).hexdigest()
    except OSError:
        return build()  # a file cannot be read: let build() report it properly
    found, hit = lookup(kind, key)
    if found:
        return cast(T, hit)
    value = build()
    store(kind, key, value)
    return value


def lookup(kind: str, key: str) -> tuple[bool, object]:
    """(True, the value stored under `key`) or (False, None): no entry, or one that is broken, foreign or
    not private to this user (a miss, never an error)."""
    if not enabled():
        return False, None
    folder = cache_dir()
    target = folder / f"{kind}-{key[:32]}.pickle"
    if _private(folder, directory=True) and _private(target, directory=False):
        try:
            with target.open("rb") as f:
                fmt, stored_key, value = pickle.load(f)
            if fmt == FORMAT and stored_key == key:
                return True, value
        except Exception as e:  # a broken or foreign cache file is only a miss
            log.debug("ignoring %s cache %s: %s", kind, target, e)
    return False, None


def store(kind: str, key: str, value: object) -> None:
    """Keep `value` under `key` (atomically; the newest few entries of each kind are kept)."""
    if enabled():
        folder = cache_dir()
        _store(folder, folder / f"{kind}-{key[:32]}.pickle", key, value, kind)


def _store(folder: Path, target: Path, key: str, value: object, kind: str) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder, directory=True):
            log.debug("not caching: %s is not private to this user", folder)
            return
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((FORMAT, key, value), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entries = sorted(folder.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:  # a few data versions are enough
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as e:
        log.debug("could not write the %s cache: %s", kind, e)


__all__ = ["cache_dir", "cached", "enabled", "file_digest", "key_of", "lookup", "store"]
