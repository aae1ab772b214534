"""Reading and writing YAML files: safe loading with one-line errors, atomic writes."""

from __future__ import annotations

import os
import stat
import tempfile
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


def parse_yaml_text(text: str | bytes, *, file: str) -> Any:
    """Parse YAML text, turning every failure into one InputError line naming the file.

    Bounded: at most MAX_BYTES of text, MAX_DEPTH levels of nesting and MAX_NODES values after aliases
    are expanded; no value of the file is repeated in a message.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InputError(f"file is {len(text):,} bytes, expected at most {MAX_BYTES:,}", file=file)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"not UTF-8 text (byte {e.start}), expected a YAML file", file=file) from e
    if len(text) > MAX_BYTES:
        raise InputError(f"file is {len(text):,} characters, expected at most {MAX_BYTES:,}", file=file)
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
        raise InputError(f"not valid YAML: {where}{e.problem or e}", file=file) from e
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {str(e).splitlines()[0]}", file=file) from e
    except RecursionError as e:
        raise InputError(f"nested too deeply, expected at most {MAX_DEPTH} levels", file=file) from e
    finally:
        loader.dispose()


def read_bytes_checked(path: Path | str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; every other case is one InputError line.

    FIFOs, devices (/dev/zero), sockets and folders are refused before any read, so a bad path never
    hangs or fills memory; the size is checked again while reading, for files that grow.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError as e:
        raise InputError("no such file", file=str(path)) from e
    except PermissionError as e:
        raise InputError("cannot be read (permission denied)", file=str(path)) from e
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror or e})", file=str(path)) from e
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, expected a YAML file", file=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"is a {_kind(st.st_mode)}, expected a regular YAML file", file=str(path))
    if st.st_size > max_bytes:
        raise InputError(f"file is {st.st_size:,} bytes, expected at most {max_bytes:,}", file=str(path))
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, open does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError("is not a regular file, expected a YAML file", file=str(path))
            data = fh.read(max_bytes + 1)
    except PermissionError as e:
        raise InputError("cannot be read (permission denied)", file=str(path)) from e
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror or e})", file=str(path)) from e
    if len(data) > max_bytes:
        raise InputError(f"file is over {max_bytes:,} bytes, expected at most {max_bytes:,}", file=str(path))
    return data


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


def read_yaml(path: Path | str) -> Any:
    """Load one YAML file safely (a regular file of bounded size, bounded nesting and aliases)."""
    return parse_yaml_text(read_bytes_checked(path), file=str(Path(path)))


def dump_yaml(data: Any) -> str:
    """YAML text in a stable, readable form (keys in insertion order)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def write_atomic(path: Path | str, content: str | bytes) -> Path:
    """Write `content` to `path` so that readers see the old file or the new one, never half of one."""
    path = Path(path)
    if path.exists() and not path.is_file():
        # os.replace would put a regular file in place of a device node, a FIFO or a socket (as root, even
        # /dev/zero); a folder would fail later with a less clear message
        mode = path.stat().st_mode
        kind = "directory" if stat.S_ISDIR(mode) else _kind(mode)
        raise InputError(f"is a {kind}, expected a regular file to write", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)  # mkstemp creates 0600; keep the mode a plain write would give
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
        if stat.S_ISDIR(mode) and not folder:
            raise bad("is a directory")
        if not stat.S_ISDIR(mode) and folder:
            raise bad("is a file")
        if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
            raise bad(f"is a {_kind(mode)}")
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
