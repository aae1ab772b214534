"""Where a sweep's rows go: one Parquet file, one row per point, written block by block so nothing finished
is lost.

While a sweep runs, each finished block is written atomically to `OUT.parts/block-<first point>.parquet`
(beside a `manifest.json` naming the sweep). `finish` gathers every block written so far (and the rows of an
earlier `OUT`, when resuming) into `OUT`, ordered by point, also atomically; once every point is there the
parts folder is removed. A sweep stopped at any moment (Ctrl-C, a killed worker, a killed driver) keeps
every block written, and `--resume` computes only the points no block holds.

The file's schema metadata (`slm-tco.sweep`) carries the format, the scenario and sweep files, the run kind,
the unit of every column, which columns are inputs and which are objectives, and the sweep's digest.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tco.errors import InputError
from tco.scenario.yamlio import write_atomic

FORMAT = "slm-tco.sweep/1"
META_KEY = b"slm-tco.sweep"

_ARROW_TYPES = {"float": "float64", "int": "int64", "str": "string", "bool": "bool_"}


def _pa() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - a dependency of slm-tco
        raise InputError("writing a sweep needs pyarrow: pip install pyarrow") from e
    return pa, pq


def schema(columns: Sequence[tuple[str, str]], meta: Mapping[str, Any]) -> Any:
    """The Arrow schema of a sweep's table: (name, type) columns and the sweep's metadata."""
    pa, _ = _pa()
    fields = [pa.field(name, getattr(pa, _ARROW_TYPES[t])()) for name, t in columns]
    return pa.schema(fields, metadata={META_KEY: json.dumps(meta, sort_keys=True).encode()})


def read_meta(path: Path | str) -> dict[str, Any]:
    """The sweep metadata of a Parquet file written by `tco sweep` (InputError for any other file)."""
    _, pq = _pa()
    try:
        md = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as e:
        raise InputError(f"cannot be read as Parquet ({e})", file=str(path)) from e
    if META_KEY not in md:
        raise InputError("is a Parquet file but not a sweep written by `tco sweep`", file=str(path))
    meta: dict[str, Any] = json.loads(md[META_KEY])
    return meta


def read_table(path: Path | str) -> Any:
    """The sweep's table (pyarrow.Table); InputError for a file `tco sweep` did not write."""
    _, pq = _pa()
    read_meta(path)
    return pq.read_table(path)


def read_sweep(source: Path | str | bytes, *, name: str = "upload") -> tuple[Any, dict[str, Any]]:
    """(table, metadata) of a sweep's Parquet file, from a path or from its bytes (an upload)."""
    pa, pq = _pa()
    if isinstance(source, bytes):
        where = name
        try:
            table = pq.read_table(pa.BufferReader(source))
        except (OSError, ValueError, pa.ArrowException) as e:
            raise InputError(f"cannot be read as Parquet ({str(e)[:200]})", file=where) from e
    else:
        where = str(source)
        if not Path(source).is_file():
            raise InputError("no such file, expected a Parquet file written by `tco sweep`", file=where)
        try:
            table = pq.read_table(source)
        except (OSError, ValueError, pa.ArrowException) as e:
            raise InputError(f"cannot be read as Parquet ({str(e)[:200]})", file=where) from e
    md = table.schema.metadata or {}
    if META_KEY not in md:
        raise InputError("is a Parquet file but not a sweep written by `tco sweep`", file=where)
    meta: dict[str, Any] = json.loads(md[META_KEY])
    return table, meta


class SweepStore:
    """The output file of one sweep and its parts folder."""

    def __init__(self, path: Path | str, columns: Sequence[tuple[str, str]], meta: Mapping[str, Any]) -> None:
        self.path = Path(path)
        self.parts = self.path.with_name(self.path.name + ".parts")
        self.columns = list(columns)
        self.meta = dict(meta)
        self.schema = schema(self.columns, self.meta)

    # ------------------------------------------------------------------ state on disk

    def _manifest(self) -> Path:
        return self.parts / "manifest.json"

    def _part_files(self) -> list[Path]:
        return sorted(self.parts.glob("block-*.parquet")) if self.parts.is_dir() else []

    def pending(self) -> str | None:
        """What an earlier run left here (None: nothing), for the message that asks for --resume."""
        if self.parts.is_dir():
            return f"an unfinished sweep is in {self.parts}"
        if self.path.exists():
            return f"{self.path} exists"
        return None

    def start(self, *, resume: bool, overwrite: bool) -> set[int]:
        """Get the folder ready; the points already written (resume) or none (a new sweep)."""
        if resume:
            done = self.done_points()
        else:
            left = self.pending()
            if left is not None and not overwrite:
                raise InputError(
                    f"{left}: expected --resume to continue it or --overwrite to start again",
                    file=str(self.path),
                )
            if self.parts.is_dir():
                shutil.rmtree(self.parts)
            self.path.unlink(missing_ok=True)
            done = set()
        self.parts.mkdir(parents=True, exist_ok=True)
        write_atomic(self._manifest(), json.dumps(self.meta, sort_keys=True, indent=1) + "\n")
        return done

    def _check_same(self, meta: Mapping[str, Any], where: Path) -> None:
        if meta.get("digest") != self.meta.get("digest"):
            raise InputError(
                f"{where} holds another sweep (its scenario, sweep file or columns differ); expected the same "
                "files as when it started, or --overwrite to start again",
                file=str(self.path),
            )

    def done_points(self) -> set[int]:
        """Points already written: in the parts folder and in an earlier output file of the same sweep."""
        _, pq = _pa()
        done: set[int] = set()
        if self._manifest().exists():
            self._check_same(json.loads(self._manifest().read_text(encoding="utf-8")), self.parts)
        for f in self._part_files():
            done.update(int(p) for p in pq.read_table(f, columns=["point"]).column("point").to_pylist())
        if self.path.exists():
            self._check_same(read_meta(self.path), self.path)
            done.update(
                int(p) for p in pq.read_table(self.path, columns=["point"]).column("point").to_pylist()
            )
        return done

    # ------------------------------------------------------------------ writing

    def _table(self, data: Mapping[str, Sequence[Any]]) -> Any:
        pa, _ = _pa()
        return pa.Table.from_pydict({name: list(data[name]) for name, _ in self.columns}, schema=self.schema)

    def _bytes(self, table: Any) -> bytes:
        pa, pq = _pa()
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return bytes(sink.getvalue().to_pybytes())

    def write_block(self, data: Mapping[str, Sequence[Any]]) -> int:
        """Write one block's rows (columns as lists) atomically; returns the number of rows."""
        table = self._table(data)
        if table.num_rows == 0:
            return 0
        first = int(table.column("point")[0].as_py())
        write_atomic(self.parts / f"block-{first:012d}.parquet", self._bytes(table))
        return int(table.num_rows)

    def finish(self, total: int) -> int:
        """Gather every block (and the earlier output's rows) into the output file, ordered by point; remove
        the parts once all `total` points are in it. Returns the number of rows written."""
        pa, pq = _pa()
        tables = [pq.read_table(f).cast(self.schema) for f in self._part_files()]
        if self.path.exists():  # resuming: the rows of the earlier output (the same sweep, checked at start)
            tables.insert(0, pq.read_table(self.path).cast(self.schema))
        if not tables:
            table = self.schema.empty_table()
        else:
            table = pa.concat_tables(tables)
            # one row per point (a block written again after an interruption keeps its first copy)
            points = table.column("point").to_pylist()
            first: dict[int, int] = {}
            for i, p in enumerate(points):
                first.setdefault(int(p), i)
            order = sorted(first.values(), key=lambda i: int(points[i]))
            table = table.take(pa.array(order, type=pa.int64()))
        table = table.replace_schema_metadata(self.schema.metadata)
        write_atomic(self.path, self._bytes(table))
        if table.num_rows >= total and self.parts.is_dir():
            shutil.rmtree(self.parts)
        return int(table.num_rows)
