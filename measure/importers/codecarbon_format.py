"""CodeCarbon's `emissions.csv`, as `tco import codecarbon` accepts it: read through the file gate (UTF-8,
bounded size), parsed as CSV with bounded fields, and every row checked by a pydantic model before any row
is used.

Validation only: which row is used and what its energy means is measure/importers/codecarbon.py's
business. CodeCarbon's columns change between versions, so columns the importer does not read are allowed
(each bounded in size like every field); the ones it reads are checked: finite numbers in plausible ranges
(energies in kWh and the duration in s at least 0, a GPU count a whole number at least 0), texts of bounded
length. The file is the user's data, not a scenario: messages name the file, the line and the column, never
the text of a field.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from tco.errors import InputError
from tco.scenario.repository import validation_error
from tco.scenario.yamlio import read_text_checked

MAX_BYTES = 20 * 1024 * 1024  # a row is about 400 bytes: some 50,000 runs
MAX_FIELD = 1000  # characters of one field (CodeCarbon's longest are CPU model names)
MAX_COLUMNS = 200  # CodeCarbon 2.x writes 32 to 40
REQUIRED = ("duration", "energy_consumed", "cpu_energy", "gpu_energy", "ram_energy")

WHAT = "a CodeCarbon emissions.csv"


def _number(v: Any) -> Any:
    """A CSV field as a number: blank is 0 (CodeCarbon leaves a part it did not track empty)."""
    if isinstance(v, str):
        v = v.strip()
        if not v:
            return 0.0
        try:
            x = float(v)
        except ValueError as e:
            raise ValueError("expected a number") from e
        if not math.isfinite(x):
            raise ValueError("expected a finite number")
        return x
    return v


def _whole(v: Any) -> Any:
    """A count written as "1" or "1.0"; blank is 0."""
    x = _number(v)
    if isinstance(x, float) and math.isfinite(x):
        if x != int(x):
            raise ValueError(f"got {x:g}, expected a whole number")
        return int(x)
    return x


def _pue(v: Any) -> Any:
    """CodeCarbon's pue column: blank (CodeCarbon 2.x before the column) is 1."""
    if isinstance(v, str) and not v.strip():
        return 1.0
    return _number(v)


Kwh = Annotated[float, BeforeValidator(_number), Field(ge=0.0, le=1e9, allow_inf_nan=False)]
Watts = Annotated[float, BeforeValidator(_number), Field(ge=0.0, le=1e7, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=1024)]
Text = Annotated[str, Field(max_length=MAX_FIELD)]


class CodeCarbonRow(BaseModel):
    """One tracked run (a row of emissions.csv); energies in kWh, duration in s."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)

    duration: Annotated[float, BeforeValidator(_number), Field(gt=0.0, le=1e9, allow_inf_nan=False)]
    energy_consumed: Kwh
    cpu_energy: Kwh
    gpu_energy: Kwh
    ram_energy: Kwh
    gpu_count: Count = 0
    cpu_count: Annotated[int, BeforeValidator(_whole), Field(ge=0, le=4096)] = 0
    cpu_power: Watts = 0.0
    gpu_power: Watts = 0.0
    ram_power: Watts = 0.0
    # CodeCarbon 3.x multiplies every energy and power it writes by this (its `pue` argument)
    pue: Annotated[float, BeforeValidator(_pue), Field(ge=1.0, le=10.0, allow_inf_nan=False)] = 1.0
    tracking_mode: Text = ""
    project_name: Text = ""
    run_id: Text = ""
    timestamp: Text = ""
    cpu_model: Text = ""
    gpu_model: Text = ""
    codecarbon_version: Text = ""


def read_rows(path: Path) -> list[tuple[int, CodeCarbonRow]]:
    """Every row of an emissions.csv as (line number, checked row); one InputError line for the first
    problem, naming the file, the line and the column."""
    file = str(path)
    text = read_text_checked(path, max_bytes=MAX_BYTES, what=WHAT)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise InputError(f"no header line, expected {WHAT}", file=file)
        _check_header(header, file)
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; expected {WHAT}", file=file)
        rows: list[tuple[int, CodeCarbonRow]] = []
        for values in reader:
            line = reader.line_num
            if not values:
                continue  # a blank line
            if len(values) != len(header):
                raise InputError(
                    f"{len(values)} value{'s' if len(values) != 1 else ''} for {len(header)} columns, expected "
                    "one value per column",
                    file=file,
                    field=f"line {line}",
                )
            for name, value in zip(header, values, strict=True):
                if len(value) > MAX_FIELD:
                    raise InputError(
                        f"{len(value):,} characters, expected at most {MAX_FIELD:,}",
                        file=file,
                        field=f"line {line}, column {name}",
                    )
            try:
                row = CodeCarbonRow.model_validate(dict(zip(header, values, strict=True)))
            except ValidationError as e:
                err = validation_error(e, file=file, private=True)
                raise InputError(err.detail, file=file, field=f"line {line}, column {err.field}") from e
            rows.append((line, row))
    except csv.Error as e:  # an unclosed quote, a field over csv's own limit, a NUL
        raise InputError(f"not a CSV file CodeCarbon writes: {e} (line {reader.line_num})", file=file) from e
    return rows


def _check_header(header: list[str], file: str) -> None:
    if len(header) > MAX_COLUMNS:
        raise InputError(f"{len(header)} columns, expected at most {MAX_COLUMNS} ({WHAT})", file=file)
    for i, name in enumerate(header):
        if not name.strip() or len(name) > 100:
            raise InputError(f"column {i + 1} has no name or a name over 100 characters", file=file)
    if len(set(header)) != len(header):
        raise InputError("a column name repeats, expected each column once", file=file, field="line 1")
