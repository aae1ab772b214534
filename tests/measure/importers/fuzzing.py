"""Mutations of real importer input for the importer fuzz tests (test_import_fuzz.py): an ML.ENERGY v3 file
(values, types, keys, deletions, duplications, nesting, then bytes of its text) and a CodeCarbon
emissions.csv (fields, columns, quoting, encodings, bytes), drawn with hypothesis; and the one rule every
outcome must follow."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from measure.importers.codecarbon import profile_from_run, read_run
from measure.importers.mlenergy import profiles_from_file, render
from tco.errors import TcoError
from tests.measure.importers.hostile_files import CODECARBON_HEADER, CODECARBON_ROW, mlenergy_document
from tests.scenario.fuzzing import Mutation, paths

HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2**63, -(2**63), 10**400, 0.0, -0.0, 1e30, -1e30, 1e-320, 1e308,
    float("nan"), float("inf"), float("-inf"), "", "8", "1e30", "NaN", "H100", "B200", "\u202e", "😀" * 10,
    "[bold]x[/", "x" * 5000, [], [1], {}, {"a": 1}, [[[[[]]]]],
]  # fmt: skip
CSV_VALUES = [
    "", " ", "0", "-1", "1.5", "1e400", "inf", "-inf", "nan", "NaN", "1,5", "1_000", "0x10", "１", "x" * 1500,
    '"', '""', "a\nb", "a\rb", ";", "\t", "\\", "1e-320", "99999999999999999999", "[/]", "é",
]  # fmt: skip


@st.composite
def mutated_mlenergy(draw: st.DrawFn) -> bytes:
    """A real ML.ENERGY file with one to four tree mutations, serialised, then maybe a byte-level one."""
    doc: Any = mlenergy_document()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        all_paths = list(paths(doc))
        if not all_paths:
            break
        path = draw(st.sampled_from(all_paths))
        op = draw(st.sampled_from(["set", "set", "set", "delete", "duplicate", "rename", "scale", "nest"]))
        arg: Any = None
        if op == "set":
            arg = copy.deepcopy(
                draw(st.sampled_from(HOSTILE_VALUES) | st.integers() | st.floats() | st.text(max_size=20))
            )
        elif op == "duplicate":
            arg = draw(st.sampled_from(["", "_", "2"]))
        elif op == "rename":
            if not isinstance(path[-1], str):
                op, arg = "set", None
            else:
                arg = draw(st.sampled_from([path[-1] + "s", path[-1].upper(), "", "root:$6$x"]))
        elif op == "scale":
            arg = draw(st.sampled_from([0.0, -1.0, 1e-9, 1e9, 1e300, 0.5]))
        elif op == "nest":
            op, arg = "set", {"a": [{"b": [[1]]}]}
        Mutation(op, path, arg).apply(doc)
    text = json.dumps(doc, allow_nan=True).encode()
    return _byte_mutation(draw, text)


def _byte_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["none", "none", "none", "truncate", "insert", "flip", "latin1", "prefix"]))
    if kind == "none" or not data:
        return data
    at = draw(st.integers(min_value=0, max_value=len(data) - 1))
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        junk = draw(
            st.sampled_from([b"\x00", b"\x07", b"\xff", b"\xe9", b"[" * 50, b'"', b"\n", b"\xef\xbb\xbf"])
        )
        return data[:at] + junk + data[at:]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1 :]
    if kind == "latin1":
        return data.decode("utf-8", errors="replace").replace("e", "é").encode("latin-1", errors="replace")
    return b"\xef\xbb\xbf" + data  # a byte-order mark


@st.composite
def mutated_codecarbon(draw: st.DrawFn) -> bytes:
    """A CodeCarbon emissions.csv (header and one to three runs) with fields, columns or bytes mutated."""
    header = CODECARBON_HEADER.split(",")
    rows = [CODECARBON_ROW.split(",") for _ in range(draw(st.integers(min_value=1, max_value=3)))]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(
            st.sampled_from(["field", "field", "field", "drop-column", "add-column", "short-row", "header"])
        )
        if op == "field":
            row = draw(st.sampled_from(rows))
            if not row:
                continue
            row[draw(st.integers(min_value=0, max_value=len(row) - 1))] = draw(
                st.sampled_from(CSV_VALUES) | st.text(max_size=12)
            )
        elif op == "drop-column" and len(header) > 1:
            i = draw(st.integers(min_value=0, max_value=len(header) - 1))
            del header[i]
            for row in rows:
                if i < len(row):  # a row already cut short
                    del row[i]
        elif op == "add-column":
            header.append(draw(st.sampled_from(["pue", "extra", "", "duration", "x" * 200])))
            for row in rows:
                row.append("1")
        elif op == "short-row" and any(rows):
            row = draw(st.sampled_from([r for r in rows if r]))
            del row[draw(st.integers(min_value=0, max_value=len(row) - 1)) :]
        elif op == "header" and header:
            header[draw(st.integers(min_value=0, max_value=len(header) - 1))] = draw(
                st.sampled_from(CSV_VALUES)
            )
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    return _byte_mutation(draw, text.encode("utf-8"))


def import_outcome(kind: str, data: bytes, folder: Path) -> str:
    """ "ok" or "error" (slm-tco's own one-line error naming the file); anything else raises or escapes.

    An import that succeeds gives profiles that validate and render (so they could be written)."""
    path = folder / ("in.json" if kind == "mlenergy" else "emissions.csv")
    path.write_bytes(data)
    try:
        if kind == "mlenergy":
            profiles = profiles_from_file(path)
            assert profiles
            for p in profiles:
                assert render(p)
        else:
            run = read_run(path)
            profile_from_run(run, file=str(path), queries=10, profile_id="p", model_name="m", parameters=8e9,
                             hardware="h100-sxm")  # fmt: skip
    except TcoError as e:
        message = str(e)
        assert "\n" not in message and "\r" not in message, message
        assert message.startswith(f"{path}"), message
        assert len(message) < 2000, message[:300]
        return "error"
    return "ok"
