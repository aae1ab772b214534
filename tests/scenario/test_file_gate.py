"""The one file gate (tco/scenario/yamlio.py) behind every reader: scenarios, profiles, measured cascade
files, prompt files (the importers' files: tests/measure/importers/test_import_hostile.py). Regular files
only, read in bounded chunks without blocking, a bad byte or a control character named by line and column,
and no text of a file the user did not write as a scenario in a message (issue 24)."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import tco.scenario.yamlio as yamlio
from measure.tasks import load_prompts
from tco.api import load_scenario
from tco.errors import InputError
from tco.scenario.cascade import read_cascade_measurement
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import load_model_profile
from tco.scenario.yamlio import decode_text, parse_json_text, parse_yaml_text, read_bytes_checked, read_yaml

SHIPPED = Path(__file__).parents[2] / "profiles" / "scenarios" / "portfolio.yaml"
SHADOW = "root:$6$SECRETHASH$abcdefgh:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"

READERS: dict[str, Callable[[Path], Any]] = {
    "scenario": read_yaml,
    "profile": load_model_profile,
    "cascade file": read_cascade_measurement,
    "prompt file": load_prompts,
}


def _guarded(fn: Callable[[], Any]) -> BaseException | None:
    """Run `fn` in a thread; what it raised (None: nothing). Fails the test if it blocks for 10 s."""
    out: list[BaseException | None] = []

    def go() -> None:
        try:
            fn()
            out.append(None)
        except BaseException as e:
            out.append(e)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "the reader blocked"
    return out[0]


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_nobody_writes_is_refused_at_once(reader: str, tmp_path: Path) -> None:
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    e = _guarded(lambda: READERS[reader](fifo))
    assert isinstance(e, InputError) and "is a named pipe (FIFO), expected a regular " in str(e), e


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_2_gb_sparse_file_and_dev_zero_are_refused_before_reading(reader: str, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(2 * 1024**3)
    e = _guarded(lambda: READERS[reader](big))
    assert str(e) == f"{big}: file is 2,147,483,648 bytes, expected at most 5,242,880"
    if Path("/dev/zero").exists():
        e = _guarded(lambda: READERS[reader](Path("/dev/zero")))
        assert isinstance(e, InputError) and str(e).startswith("/dev/zero: is a character device, expected ")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_name_with_a_nul_byte_is_one_line(reader: str, tmp_path: Path) -> None:
    e = _guarded(lambda: READERS[reader](tmp_path / "a\x00b.yaml"))
    assert isinstance(e, InputError) and "cannot be a file name (embedded null byte)" in str(e), e
    assert "\x00" not in str(e)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_control_character_is_named_by_line_and_column(reader: str, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: x\x07y\n")
    e = _guarded(lambda: READERS[reader](path))
    assert isinstance(e, InputError) and str(e).startswith(
        f"{path}: control character U+0007 at line 2, column 5"
    )


@pytest.mark.parametrize("reader", ["profile", "cascade file", "prompt file"])
def test_a_file_that_is_not_a_scenario_is_never_quoted(reader: str, tmp_path: Path) -> None:
    # a scenario naming /etc/shadow as its measured cascade file printed the root password-hash line
    path = tmp_path / "shadow.yaml"
    path.write_text(SHADOW)
    e = _guarded(lambda: READERS[reader](path))
    assert isinstance(e, InputError), e
    said = str(e).removeprefix(f"{path}: ")
    assert not any(s in said for s in ("SECRET", "root", "$6$", "daemon", "19000")), said


def test_the_cascade_file_a_scenario_names_is_never_quoted(tmp_path: Path) -> None:
    (tmp_path / "shadow").write_text(SHADOW)
    raw = copy.deepcopy(load_scenario("portfolio").raw)
    raw["plan"]["cascades"][0]["escalate"] = {"measured": "shadow"}
    scenario = tmp_path / "p.yaml"
    scenario.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as e:
        load_scenario(str(scenario))
    assert str(e.value) == (
        f"{tmp_path / 'shadow'}: a key that is not a field name of this format (its text is not shown) (and 11 "
        "more problems)"
    )


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc on this system")
def test_proc_self_environ_is_refused_without_its_content() -> None:
    raw = copy.deepcopy(load_scenario("portfolio").raw)
    raw["plan"]["cascades"][0]["escalate"] = {"measured": "/proc/self/environ"}
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, file="p.yaml", base_dir=Path("/"))
    assert "control character U+0000 at line 1, column " in str(e.value)  # NUL-separated: no text shown
    assert os.environ.get("PATH", "x") not in str(e.value)


def test_bytes_that_are_not_utf8_are_named_by_line_and_column() -> None:
    with pytest.raises(InputError) as e:
        decode_text(b"a: 1\nb: caf\xe9\n", file="f.yaml", what="a YAML file")
    assert (
        str(e.value) == "f.yaml: byte 11 (line 2, column 7) is not UTF-8, expected a YAML file saved as UTF-8"
    )
    assert decode_text(b"\xef\xbb\xbfa: 1\n", file="f", what="x") == "a: 1\n"  # a byte-order mark is dropped


@pytest.mark.parametrize("char", ["\x07", "\x01", "\x1b", "\x7f", "\ufffe"])
def test_yaml_text_with_a_control_character_is_one_line(char: str) -> None:
    # PyYAML's own check raised a ReaderError traceback from `tco validate` and `tco report`
    with pytest.raises(InputError) as e:
        parse_yaml_text(f"name: x\nstart: 20{char}26-01\n", file="s.yaml")
    assert str(e.value) == (
        f"s.yaml: control character U+{ord(char):04X} at line 2, column 10, expected a YAML file of plain text"
    )


def test_files_are_read_in_chunks_up_to_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real = os.fdopen

    def counting(fd: int, *args: Any, **kwargs: Any) -> Any:
        fh = real(fd, *args, **kwargs)
        read = fh.read

        def chunk(n: int = -1) -> bytes:
            reads.append(n)
            return read(n)

        fh.read = chunk
        return fh

    monkeypatch.setattr(yamlio.os, "fdopen", counting)
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * (3 * yamlio.CHUNK + 5))
    assert len(read_bytes_checked(path, max_bytes=4 * yamlio.CHUNK)) == 3 * yamlio.CHUNK + 5
    assert reads and max(reads) <= yamlio.CHUNK and -1 not in reads


def test_a_file_growing_past_the_cap_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 100)
    real = os.fstat

    class Small:  # the size a /proc file reports: 0, whatever it holds
        def __init__(self, st: os.stat_result) -> None:
            self.st_mode, self.st_size = st.st_mode, 0

    monkeypatch.setattr(yamlio.os, "stat", lambda p: Small(real(os.open(p, os.O_RDONLY))))
    with pytest.raises(InputError) as e:
        read_bytes_checked(path, max_bytes=50)
    assert str(e.value) == f"{path}: file is over 50 bytes, expected at most 50"


def test_json_nesting_and_duplicate_keys_are_refused() -> None:
    with pytest.raises(InputError) as e:
        parse_json_text("{\n" + '"a": [' * 50 + "1" + "]" * 50 + "}", file="f.json", max_depth=8)
    assert (
        str(e.value)
        == "f.json: nested more than 8 levels deep at line 2, column 48, expected a flatter JSON file"
    )
    with pytest.raises(InputError) as e:
        parse_json_text('{"a": 1, "a": 2}', file="f.json")
    assert str(e.value) == "f.json: not valid JSON: an object holds 'a' twice, expected each key once"
    assert parse_json_text('{"a": "[[[[[[[[[[[[\\"]]]"}', file="f", max_depth=2) == {"a": '[[[[[[[[[[[["]]]'}


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(
    at=st.floats(min_value=0.0, max_value=1.0),
    junk=st.binary(min_size=1, max_size=4)
    | st.sampled_from([b"\x07", b"\x01", b"\x00", b"\xff", b"\x1b[31m"]),
)
def test_scenario_text_with_bytes_inserted_parses_or_fails_with_one_line(at: float, junk: bytes) -> None:
    # the text-level twin of tests/scenario/test_fuzz.py (which mutates parsed scenarios): a BEL or SOH in the
    # text was a ReaderError traceback
    text = SHIPPED.read_bytes()
    i = int(at * len(text))
    try:
        parse_yaml_text(text[:i] + junk + text[i:], file="s.yaml")
    except InputError as e:
        assert str(e).startswith("s.yaml: ") and "\n" not in str(e), str(e)
