"""A cache of `tco report`'s terminal view: what it prints, computed once per version of its inputs.

The view depends only on files: the scenario file, the reference data under the profiles folder
(`tco.scenario.files.data_files`), slm-tco's own code (every module and data file of the `tco` package) and the
libraries its numbers and text go through (their installed versions, and Python's). The key is a SHA-256 over
all of them (and the scenario as named and as found), so a change to any of them misses the cache and the view
is computed again. A scenario with `profile_files` or a measured cascade file (`escalate: {measured: ...}`),
or a report with `--profile`, is never cached.

What is kept is the list of rich renderables the report prints, so the terminal still decides the layout. It is
kept by tco.scenario.cache (a folder private to the user, atomic writes, broken entries ignored;
`SLM_TCO_NO_CACHE=1` turns it off). A view that warned (a log record or a Python warning) is not kept, so that a
cached view never says less than a fresh one.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tco.errors import TcoError
from tco.scenario import cache
from tco.scenario.files import (
    data_files,
    default_profiles_dir,
    reads_other_files,
    scenario_name,
    shipped_scenarios,
)

KIND = "report"
FORMAT = "slm-tco.report-view/1"
# the installed libraries a report's numbers and text go through (distribution names; pandas's optional
# accelerators are named too, so installing one misses the cache)
LIBRARIES = (
    "numpy",
    "pandas",
    "pyarrow",
    "numexpr",
    "bottleneck",
    "scipy",
    "pydantic",
    "pydantic-core",
    "pint",
    "PyYAML",
    "rich",
)

Item = tuple[Any, bool | None]  # a renderable and the `highlight` it is printed with (None: the console's)


def _code_files() -> list[Path]:
    """Every module and data file of the `tco` package."""
    package = Path(__file__).resolve().parents[1]
    return sorted(p for p in package.rglob("*") if p.suffix in (".py", ".txt") and p.is_file())


def _versions() -> str:
    from importlib import metadata

    out = []
    for name in LIBRARIES:
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=-")
    return "|".join(out)


def view_key(source: str | None) -> str | None:
    """The cache key of the terminal view of `source` (a scenario file or a shipped name, None: the default
    one), or None when it is not cached: the cache is off, the scenario names `profile_files`, or it cannot be
    found or read (the report itself then says what is wrong)."""
    from tco.scenario.yamlio import read_yaml

    if not cache.enabled():
        return None
    try:
        root = default_profiles_dir()
        name = scenario_name(source)
        path = shipped_scenarios(root).get(name) if name is not None else Path(str(source))
        if path is None:
            return None
        raw = read_yaml(path)
        if not isinstance(raw, dict) or raw.get("profile_files") or reads_other_files(raw):
            return None
        text = f"{FORMAT}|{sys.version}|{_versions()}|{source!r}|{path}|{path.resolve()}|{root.resolve()}"
        return cache.file_digest([*_code_files(), path, *data_files(root)], text)
    except (TcoError, OSError, ValueError):
        return None


def cached_view(key: str | None) -> list[Item] | None:
    """The view kept under `key`, or None."""
    if key is None:
        return None
    found, value = cache.lookup(KIND, key)
    if not found or not isinstance(value, list):
        return None
    return value


def keep_view(key: str | None, items: Sequence[Item]) -> None:
    if key is not None:
        cache.store(KIND, key, list(items))


class _Flag(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.raised = False

    def emit(self, record: logging.LogRecord) -> None:
        self.raised = True


@contextmanager
def watching() -> Iterator[Callable[[], bool]]:
    """While the view is computed: notes whether anything warned (a log record of level WARNING or more, a
    Python warning shown). Yields a function telling whether all stayed quiet; warnings show as usual."""
    flag = _Flag()
    root = logging.getLogger()
    shown = warnings.showwarning

    def showwarning(*args: Any, **kwargs: Any) -> None:
        flag.raised = True
        shown(*args, **kwargs)

    root.addHandler(flag)
    warnings.showwarning = showwarning
    try:
        yield lambda: not flag.raised
    finally:
        warnings.showwarning = shown
        root.removeHandler(flag)
