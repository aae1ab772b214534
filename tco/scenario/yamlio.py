"""Reading and writing YAML files: safe loading with one-line errors, atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tco.errors import InputError

MAX_BYTES = 5 * 1024 * 1024  # no scenario or profile is anywhere near this; larger is an accident


def parse_yaml_text(text: str | bytes, *, file: str) -> Any:
    """Parse YAML text, turning every failure into one InputError line naming the file."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InputError(f"file is {len(text):,} bytes, expected at most {MAX_BYTES:,}", file=file)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"not UTF-8 text (byte {e.start}), expected a YAML file", file=file) from e
    if len(text) > MAX_BYTES:
        raise InputError(f"file is {len(text):,} characters, expected at most {MAX_BYTES:,}", file=file)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(f"not valid YAML: {where}{e.problem or e}", file=file) from e
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {str(e).splitlines()[0]}", file=file) from e


def read_yaml(path: Path | str) -> Any:
    """Load one YAML file safely."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file is {size:,} bytes, expected at most {MAX_BYTES:,}", file=str(path))
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise InputError("no such file", file=str(path)) from e
    except IsADirectoryError as e:
        raise InputError("is a directory, expected a YAML file", file=str(path)) from e
    except PermissionError as e:
        raise InputError("cannot be read (permission denied)", file=str(path)) from e
    return parse_yaml_text(data, file=str(path))


def dump_yaml(data: Any) -> str:
    """YAML text in a stable, readable form (keys in insertion order)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def write_atomic(path: Path | str, content: str | bytes) -> Path:
    """Write `content` to `path` so that readers see the old file or the new one, never half of one."""
    path = Path(path)
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
