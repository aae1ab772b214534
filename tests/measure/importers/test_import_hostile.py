"""`tco import mlenergy` and `tco import codecarbon` on hostile files (tests/measure/importers/
hostile_files.py: the issue's cases and more): exit code 2, one line naming the file and the field, no
traceback, nothing written, and no hang (a FIFO nobody writes, /dev/zero, a 2 GB sparse file)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from measure.importers.mlenergy import import_files
from tco.cli.main import run
from tco.errors import InputError
from tests.measure.importers.hostile_files import CODECARBON, CODECARBON_HEADER, CODECARBON_ROW, MLENERGY
from tests.measure.importers.hostile_files import mlenergy_document as document

HANG_GUARD_S = 20.0  # the bound; the refusals take well under a second


def _import(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run `tco` in a thread, so that a read that blocks fails the test instead of hanging it."""
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(run(argv)), daemon=True)
    t.start()
    t.join(HANG_GUARD_S)
    assert not t.is_alive(), f"{argv} still running after {HANG_GUARD_S:g} s"
    return result[0], capsys.readouterr().err


def _argv(kind: str, path: Path, out: Path) -> list[str]:
    if kind == "mlenergy":
        return ["import", "mlenergy", str(path), "--out", str(out)]
    return ["import", "codecarbon", str(path), "--queries", "10", "--model-name", "m", "--parameters", "8e9",
            "-o", str(out / "p.yaml")]  # fmt: skip


CASES = [("mlenergy", n) for n in MLENERGY] + [("codecarbon", n) for n in CODECARBON]


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}-{n}" for k, n in CASES])
def test_a_hostile_file_is_one_line_exit_2_and_nothing_written(
    kind: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, message = (MLENERGY if kind == "mlenergy" else CODECARBON)[name]
    path = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code, err = _import(_argv(kind, path, out), capsys)
    assert code == 2, err
    assert err == f"error: {path}: {message}\n"  # one line, this line: no traceback
    assert list(out.iterdir()) == []


def test_one_bad_file_among_good_ones_writes_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document()))
    bad_doc = document()
    bad_doc["configurations"][-1]["num_gpus"] = 0  # the last configuration of the second file
    bad = tmp_path / "zz-bad.json"
    bad.write_text(json.dumps(bad_doc))
    out = tmp_path / "out"
    with pytest.raises(InputError) as e:
        import_files([good, bad], out)
    assert str(e.value).startswith(f"{bad}: configurations[{len(bad_doc['configurations']) - 1}].num_gpus: ")
    assert not out.exists() or list(out.iterdir()) == []


def test_a_secret_file_is_never_quoted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shadow = tmp_path / "shadow.csv"
    shadow.write_text("root:$6$SECRET$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    out = tmp_path / "out"
    out.mkdir()
    for kind in ("mlenergy", "codecarbon"):
        code, err = _import(_argv(kind, shadow, out), capsys)
        said = err.removeprefix(f"error: {shadow}: ")
        assert code == 2 and not any(s in said for s in ("SECRET", "root", "$6$", "daemon")), err


def test_every_codecarbon_row_is_checked_not_only_the_one_used(tmp_path: Path) -> None:
    from measure.importers.codecarbon import read_run

    path = tmp_path / "e.csv"
    path.write_text(f"{CODECARBON_HEADER}\n{CODECARBON_ROW.replace(',600.0,', ',-1,')}\n{CODECARBON_ROW}\n")
    with pytest.raises(InputError) as e:
        read_run(path)  # uses the last row, which is fine
    assert str(e.value) == f"{path}: line 2, column duration: Input should be greater than 0"


def test_a_utf8_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    from measure.importers.codecarbon import read_run

    path = tmp_path / "e.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{CODECARBON_HEADER}\n{CODECARBON_ROW}\n".encode())
    assert read_run(path).run_id == "run-b"
