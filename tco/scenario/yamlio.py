"""Reading and writing files: the one gate every input file passes (`read_bytes_checked`: regular files of
bounded size, read without blocking; `decode_text`: UTF-8 without control characters), safe YAML loading
with one-line errors, output paths checked before work, atomic writes."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tco.errors import InputError

MAX_BYTES = 5 * 1024 * 1024  # no scenario or profile is anywhere near this; larger is an accident


MAX_DEPTH = 40  # nesting of mappings and lists; shipped files nest at most 6 deep
MAX_NODES = 200_000  # scalars, mappings and lists after alias expansion; the largest shipped file has ~3,000


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than MAX_DEPTH while composing (before any recursion limit)."""

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self._file = file
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise InputError(
                    f"nested more than {MAX_DEPTH} levels deep at line {mark.line + 1}, expected a flatter "
                    "YAML file",
                    file=self._file,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(root: Any, file: str) -> int:
    """Number of values in the document once every alias is expanded, computed without expanding it.

    Also refuses aliases that nest the document deeper than MAX_DEPTH or refer to themselves.
    """
    seen: dict[int, tuple[int, int]] = {}  # node -> (values under it, levels under it)
    active: set[int] = set()

    def too_deep() -> InputError:
        return InputError(
            f"nested more than {MAX_DEPTH} levels deep once aliases are expanded, expected a flatter YAML file",
            file=file,
        )

    def size(node: Any, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in seen:
            if depth + seen[key][1] - 1 > MAX_DEPTH:
                raise too_deep()
            return seen[key]
        if depth > MAX_DEPTH:
            raise too_deep()
        if key in active:
            raise InputError(
                "an alias refers to the mapping or list that holds it, expected no cycles", file=file
            )
        active.add(key)
        children: list[Any] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [x for pair in node.value for x in pair]
        total, height = 1, 1
        for c in children:
            n, h = size(c, depth + 1)
            total, height = total + n, max(height, h + 1)
            if total > MAX_NODES:
                break
        active.discard(key)
        seen[key] = (total, height)
        return seen[key]

    return size(root, 1)[0]


def parse_yaml_text(text: str | bytes, *, file: str, private: bool = False) -> Any:
    """Parse YAML text, turning every failure into one InputError line naming the file.

    Bounded: at most MAX_BYTES of text, MAX_DEPTH levels of nesting and MAX_NODES values after aliases
    are expanded; text with a control character is refused with its line and column (`check_text`).
    `private`: the file is not one the user wrote as a scenario, so a message never quotes its text.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InputError(f"file is {len(text):,} bytes, expected at most {MAX_BYTES:,}", file=file)
        text = decode_text(text, file=file, what="a YAML file")
    if len(text) > MAX_BYTES:
        raise InputError(f"file is {len(text):,} characters, expected at most {MAX_BYTES:,}", file=file)
    check_text(text, file=file, what="a YAML file")  # the YAML reader's own check is a traceback
    loader = _BoundedLoader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, file) > MAX_NODES:
            raise InputError(
                f"more than {MAX_NODES:,} values once anchors and aliases are expanded, expected a plain "
                "scenario or profile (aliases that multiply are refused)",
                file=file,
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = str(e.problem or e)
        if private:  # PyYAML quotes the characters and names it met ("found undefined alias 'x'")
            problem = QUOTED.sub("(text not shown)", problem)
        raise InputError(f"not valid YAML: {where}{problem}", file=file) from e
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0]
        raise InputError(f"not valid YAML: {'a reader error' if private else first}", file=file) from e
    except RecursionError as e:
        raise InputError(f"nested too deeply, expected at most {MAX_DEPTH} levels", file=file) from e
    finally:
        loader.dispose()


QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

# What the YAML reader refuses (its NON_PRINTABLE): C0 controls but tab, line feed and carriage return, DEL,
# C1 controls but NEL, surrogates and U+FFFE/U+FFFF. JSON and CSV inputs are held to the same rule.
_CONTROL = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _line_column(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of character `pos` of `text`."""
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def check_text(text: str, *, file: str, what: str) -> None:
    """Refuse text holding a control character (BEL, NUL, ESC...), naming its code point, line and column."""
    bad = _CONTROL.search(text)
    if bad is not None:
        line, column = _line_column(text, bad.start())
        raise InputError(
            f"control character U+{ord(bad.group()):04X} at line {line}, column {column}, expected {what} "
            "of plain text",
            file=file,
        )


def decode_text(data: bytes, *, file: str, what: str) -> str:
    """UTF-8 text of `data` (a leading byte-order mark dropped), checked by `check_text`; a byte that is not
    UTF-8 is named by line and column, never shown."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        start = data.rfind(b"\n", 0, e.start) + 1
        column = len(data[start : e.start].decode("utf-8", errors="replace")) + 1
        raise InputError(
            f"byte {e.start:,} (line {line}, column {column}) is not UTF-8, expected {what} saved as UTF-8",
            file=file,
        ) from e
    text = text.removeprefix("\ufeff")
    check_text(text, file=file, what=what)
    return text


CHUNK = 1024 * 1024  # bytes read at a time


def read_bytes_checked(path: Path | str, *, max_bytes: int = MAX_BYTES, what: str = "a YAML file") -> bytes:
    """The bytes of a regular file of at most `max_bytes`; every other case is one InputError line.

    The one gate of every file slm-tco reads (scenarios, profiles, cascade files, prompt files, imported
    files). FIFOs, devices (/dev/zero), sockets and folders are refused before any read, so a bad path never
    hangs or fills memory; the file is opened without waiting (O_NONBLOCK), checked again once open, and read
    in chunks of CHUNK bytes up to `max_bytes`, for files that grow or that report no size (/proc).
    """
    name = str(path)
    try:
        path = Path(path)
        st = os.stat(path)
    except FileNotFoundError as e:
        raise InputError("no such file", file=name) from e
    except PermissionError as e:
        raise InputError("cannot be read (permission denied)", file=name) from e
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror or e})", file=name) from e
    except ValueError as e:  # a NUL byte in the name: no file can have it
        raise InputError(f"cannot be a file name ({e}), expected {what}", file=name) from e
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"is a directory, expected {what}", file=name)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"is a {_kind(st.st_mode)}, expected {_regular(what)}", file=name)
    if st.st_size > max_bytes:
        raise InputError(f"file is {st.st_size:,} bytes, expected at most {max_bytes:,}", file=name)
    chunks: list[bytes] = []
    size = 0
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, open does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb", buffering=0) as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"is not a regular file, expected {_regular(what)}", file=name)
            while size <= max_bytes:
                chunk = fh.read(min(CHUNK, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except PermissionError as e:
        raise InputError("cannot be read (permission denied)", file=name) from e
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror or e})", file=name) from e
    if size > max_bytes:
        raise InputError(f"file is over {max_bytes:,} bytes, expected at most {max_bytes:,}", file=name)
    return b"".join(chunks)


def read_text_checked(path: Path | str, *, max_bytes: int = MAX_BYTES, what: str) -> str:
    """`read_bytes_checked`, decoded by `decode_text`: UTF-8 text without control characters."""
    return decode_text(read_bytes_checked(path, max_bytes=max_bytes, what=what), file=str(path), what=what)


def _regular(what: str) -> str:
    """ "a YAML file" -> "a regular YAML file"."""
    for article in ("a ", "an "):
        if what.startswith(article):
            return "a regular " + what.removeprefix(article)
    return f"a regular file ({what})"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "named pipe (FIFO)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")  # a key shown in messages of private files


def shown_key(key: object) -> str:
    """A key of a file the user did not write as a scenario, as a message may show it: quoted when it looks
    like a field name, else only that it is not one (a line of /etc/shadow is never echoed)."""
    text = str(key)
    return repr(text) if FIELD_NAME.match(text) else "a key that is not a field name (not shown)"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"an object holds {shown_key(k)} twice, expected each key once")
        out[k] = v
    return out


def parse_json_text(text: str, *, file: str, max_depth: int = MAX_DEPTH, line: int = 1) -> Any:
    """Parse JSON text (already checked by `decode_text`), every failure one InputError naming the file.

    Nesting deeper than `max_depth` is refused, with its line and column, before parsing (Python's parser
    would recurse until it fails); an object holding a key twice is refused (the parser keeps the last
    silently). No part of the text is shown. `line`: the line number of the text's first line (JSONL)."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > max_depth:
                at, column = _line_column(text, m.start())
                raise InputError(
                    f"nested more than {max_depth} levels deep at line {at + line - 1}, column {column}, "
                    "expected a flatter JSON file",
                    file=file,
                )
        elif c in "]}":
            depth -= 1
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        raise InputError(
            f"not valid JSON: {e.msg} at line {e.lineno + line - 1}, column {e.colno}", file=file
        ) from e
    except RecursionError as e:  # not reached after the depth check; kept for safety
        raise InputError(f"nested too deeply, expected at most {max_depth} levels", file=file) from e
    except ValueError as e:  # a duplicate key, an integer of more than 4300 digits
        why = "a number of more than 4,300 digits" if "digits" in str(e) else str(e)
        raise InputError(f"not valid JSON: {why}", file=file) from e


def read_yaml(path: Path | str, *, private: bool = False) -> Any:
    """Load one YAML file safely (a regular file of bounded size, bounded nesting and aliases).

    `private`: not a file the user wrote as a scenario (a profile, a cascade measurement): messages never
    quote its text."""
    return parse_yaml_text(read_bytes_checked(path), file=str(path), private=private)


def dump_yaml(data: Any) -> str:
    """YAML text in a stable, readable form (keys in insertion order)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def write_atomic(path: Path | str, content: str | bytes) -> Path:
    """Write `content` to `path` so that readers see the old file or the new one, never half of one."""
    return write_files_atomic([(Path(path), content)])[0]


def write_files_atomic(items: Sequence[tuple[Path, str | bytes]]) -> list[Path]:
    """Write several files, each atomically, and all of them or none: every file is written in full to a
    temporary file beside its target (and synced) before any is moved into place, so a full disk, a quota
    or a folder that cannot be written leaves no file behind, new or half-written."""
    targets = [Path(p) for p, _ in items]
    for path in targets:
        if path.exists() and not path.is_file():
            # os.replace would put a regular file in place of a device node, a FIFO or a socket (as root,
            # even /dev/zero); a folder would fail later with a less clear message
            mode = path.stat().st_mode
            kind = "directory" if stat.S_ISDIR(mode) else _kind(mode)
            raise InputError(f"is a {kind}, expected a regular file to write", file=str(path))
    staged: list[tuple[str, Path]] = []
    try:
        for path, (_, content) in zip(targets, items, strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            staged.append((_staged(path, content), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    return targets


def _staged(path: Path, content: str | bytes) -> str:
    """A temporary file beside `path` holding `content`, synced, with the mode a plain write would give."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)  # mkstemp creates 0600; keep the mode a plain write would give
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: Path | str, *, folder: bool = False, field: str | None = None) -> Path:
    """Check, before any work, that `path` can be written: a file (or with `folder`, a folder of files).

    Refuses a folder where a file is expected (and a file where a folder is), a device or other special
    file, a path under a file, and a place the user may not write to; one InputError line naming it.
    """
    path = Path(path)
    want = "a folder for the files" if folder else "a file path"

    def bad(detail: str) -> InputError:
        return InputError(f"{detail}, expected {want}", file=str(path), field=field)

    try:
        mode = path.stat().st_mode if path.exists() else None
    except OSError as e:  # a name too long, a loop of links
        raise bad(f"cannot be used ({e.strerror or e})") from e
    if mode is not None:
        if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
            raise bad(f"is a {_kind(mode)}")
        if stat.S_ISDIR(mode) and not folder:
            raise bad("is a directory")
        if not stat.S_ISDIR(mode) and folder:
            raise bad("is a file")
        if not os.access(path, os.W_OK):
            raise bad("cannot be written (permission denied)")
    parent = path.parent if not path.exists() or not folder else path
    while not parent.exists():  # write_atomic creates missing folders
        parent = parent.parent
    if not parent.is_dir():
        raise bad(f"is under {str(parent)!r}, which is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise bad(f"cannot be written: no permission to write in {str(parent)!r}")
    return path


def write_error(path: Path | str, e: OSError, *, field: str | None = None) -> InputError:
    """One line for a write that failed after the checks (a full disk, a quota, a vanished folder)."""
    return InputError(f"cannot be written ({e.strerror or e})", file=str(path), field=field)
