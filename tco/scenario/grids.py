"""Expand a scenario's `option_grids` into options, on the raw mapping, before the scenario is validated.

A grid is an option written with lists: every field given as a list is an axis, every other field is shared.
Each combination becomes an option whose id is the grid id followed by the axis values (slugged), in the
order the axes are written: `{id: l8b, profile: [a, b], region: [fr, us-va]}` gives `l8b-a-fr`, `l8b-a-us-va`,
`l8b-b-fr`, `l8b-b-us-va`. Errors name the grid field (`option_grids[0].region[1]`), not the expanded option.
The format is documented in tco.scenario.analysis_specs.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tco.errors import InputError
from tco.scenario.repository import validate, validation_error
from tco.scenario.schema import Option, OptionGrid

MAX_OPTIONS = 500  # as tco.scenario.schema.Scenario.options
_SLUG = re.compile(r"[^a-z0-9._]+")


def slug(value: Any) -> str:
    """An id-safe fragment of a grid value: "0.12 USD/kWh" -> "0.12-usd-kwh"."""
    if isinstance(value, Mapping):
        value = "-".join(str(v) for v in value.values())
    text = _SLUG.sub("-", str(value).lower()).strip("-.")
    return text or "x"


# axes the option's name states by itself (tco.scenario.names); a profile axis stays in the label, as two
# profiles on one hardware differ only by their model
FACT_AXES = frozenset({"api", "deployment", "region"})


def expand_grid(grid: OptionGrid, index: int, *, file: str) -> list[dict[str, Any]]:
    """The options of one grid, each validated as an option; errors name `option_grids[index]...`."""
    where = f"option_grids[{index}]"
    axes = grid.axes()
    for name, values in axes.items():
        if not values:
            raise InputError("empty list, expected at least one value", file=file, field=f"{where}.{name}")
    count = math.prod(len(v) for v in axes.values())
    if count > MAX_OPTIONS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in axes.items())
        raise InputError(
            f"expands to {count} options ({sizes}), at most {MAX_OPTIONS}", file=file, field=where
        )
    shared = {k: v for k, v in grid.fields.items() if k not in axes}
    base_name = shared.pop("name", None)
    out: list[dict[str, Any]] = []
    names = list(axes)
    for combo in itertools.product(*(range(len(axes[n])) for n in names)):
        values = [axes[n][j] for n, j in zip(names, combo, strict=True)]
        oid = "-".join([grid.id, *(slug(v) for v in values)])
        # the option's name states its hardware, deployment and region from its inputs (tco.scenario.names):
        # the label names only the other axes
        label = " / ".join(str(v) for n, v in zip(names, values, strict=True) if n not in FACT_AXES)
        option = {"id": oid, "name": f"{base_name or grid.id}: {label}" if label else (base_name or grid.id)}
        option.update(shared)
        option.update(dict(zip(names, values, strict=True)))
        try:
            Option.model_validate(option)
        except ValidationError as e:
            err = validation_error(e, file=file)
            top = (err.field or "").split(".")[0].split("[")[0]
            if top in axes:
                j = combo[names.index(top)]
                field = f"{where}.{top}[{j}]{(err.field or '')[len(top) :]}"
            elif top == "id":
                field = f"{where}.id"
            elif top:
                field = f"{where}.{err.field}"
            else:
                field = f"{where} (combination {' / '.join(str(v) for v in values)})"
            raise InputError(err.detail, file=file, field=field) from e
        out.append(option)
    return out


def expand_grids(raw: Any, *, file: str = "scenario") -> Any:
    """`raw` with each grid's options appended to `options` (a new mapping; `raw` is not changed).

    Returns `raw` itself when it has no `option_grids` (or is not a mapping: validation reports that).
    """
    if not isinstance(raw, Mapping) or not raw.get("option_grids"):
        return raw
    grids = raw["option_grids"]
    if not isinstance(grids, list):
        raise InputError(
            f"expected a list of grids, got {type(grids).__name__}", file=file, field="option_grids"
        )
    options = raw.get("options") or []
    if not isinstance(options, list):
        return raw  # validation reports it
    expanded: list[dict[str, Any]] = []
    for i, item in enumerate(grids):
        grid = validate(OptionGrid, item, file=file, prefix=f"option_grids[{i}]")
        expanded.extend(expand_grid(grid, i, file=file))
    total = len(options) + len(expanded)
    if total > MAX_OPTIONS:
        raise InputError(
            f"options and grids give {total} options, at most {MAX_OPTIONS}", file=file, field="option_grids"
        )
    return {**raw, "options": [*options, *expanded]}
