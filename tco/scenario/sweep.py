"""The sweep file (`tco sweep SCENARIO SWEEP.yaml`): which scenario fields to vary, how to combine them,
what to run per point, and the limits a sweep must stay within.

A sweep edits the raw scenario mapping by path and validates it again, exactly as the app's what-ifs do
(`tco.presentation.whatif`): every point is a scenario a user could have written. This module reads and
checks the file (one-line errors naming file and field, like a scenario) and expands it into points;
`tco.analysis.sweep` runs them.

    run: plan                        # report | plan | uncertainty, or {kind: uncertainty, samples: 200, seed: 7}
    inputs:
      - path: options[llm-8b-h100-cloud].profile       # any scenario field by path
        name: gpu                                       # the column's name (default: the path)
        values: [llama-3.1-8b-h100, llama-3.1-8b-a100]  # a list...
      - path: workload.queries_per_day
        range: {from: 1000000 query/day, to: 4000000 query/day, step: 1000000 query/day}   # ...a range...
      - path: [options[slm-1b-l4].pricing, options[llm-8b-h100-cloud].pricing]   # several fields, one value
        values: [on-demand, spot]
      - path: workload.annual_growth
        dist: {dist: triangular, low: 0 %, mode: 20 %, high: 50 %}                # ...or a distribution
    combine: grid                    # or {method: latin-hypercube | sobol, samples: 500, seed: 1}
    set: {options[llm-70b-h100].financing_rate: 6 %}   # fixed values written at every point
    keep: [npv_cost, emissions]      # outputs to keep (default: every output of the run)
    limits: {points: 100000, memory: 4 GiB}
    block: 10                        # points per block of work (default: from the point count)

A path is keys joined by dots; a list is entered with a selector in brackets: `[2]` (position), `[ID]` (the
item whose `id`, else `task`, is ID), `[*]` (every item) or `[KEY=VALUE]` (every item whose KEY is VALUE).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tco.errors import InputError, UnitError
from tco.scenario.analysis_specs import DIST_PARAMS, check_dist_params
from tco.scenario.distributions import Dist
from tco.scenario.repository import validate
from tco.scenario.units import parse, to_quantity
from tco.scenario.yamlio import read_yaml

RUN_KINDS = ("report", "plan", "uncertainty")
METHODS = ("grid", "latin-hypercube", "sobol")
DEFAULT_POINT_LIMIT = 100_000
DEFAULT_MEMORY_LIMIT = "4 GiB"
DEFAULT_UNCERTAINTY_SAMPLES = 200
MAX_BLOCK = 10_000
SIGNIFICANT = 12  # digits kept of a computed value (a range step, a sample), so its text reads back the same

Scalar = str | int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RangeSpec(_Strict):
    """Evenly spaced values from `from` to `to` (inclusive when a whole number of steps away)."""

    start: Scalar = Field(alias="from")
    stop: Scalar = Field(alias="to")
    step: Scalar


class DistSpec(_Strict):
    """A distribution to sample (with `combine: latin-hypercube` or `sobol`), parameters in one unit."""

    dist: Literal["range", "uniform", "triangular", "normal", "lognormal"]
    low: Scalar | None = None
    mode: Scalar | None = None
    high: Scalar | None = None
    mean: Scalar | None = None
    sd: Scalar | None = None
    median: Scalar | None = None
    sigma: float | None = Field(default=None, ge=0.0, le=5.0)

    @model_validator(mode="after")
    def _params(self) -> DistSpec:
        check_dist_params(self.dist, self)
        return self


class InputSpec(_Strict):
    """One varied input: one or several scenario paths set to the same value, and its values."""

    path: str | list[str] = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=80)
    values: list[Any] | None = Field(default=None, min_length=1)
    range: RangeSpec | None = None
    dist: DistSpec | None = None

    @field_validator("path")
    @classmethod
    def _paths(cls, v: str | list[str]) -> str | list[str]:
        for p in [v] if isinstance(v, str) else v:
            parse_path(p)
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> InputSpec:
        given = [k for k in ("values", "range", "dist") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"expected exactly one of values, range or dist, got {', '.join(given) if given else 'none'}"
            )
        return self

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @property
    def label(self) -> str:
        return self.name or self.paths[0]


class CombineSpec(_Strict):
    method: Literal["grid", "latin-hypercube", "sobol"] = "grid"
    samples: int | None = Field(default=None, ge=1, le=10**9)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)

    @model_validator(mode="after")
    def _samples(self) -> CombineSpec:
        if self.method == "grid" and self.samples is not None:
            raise ValueError("a grid takes every combination: samples is only for latin-hypercube or sobol")
        if self.method != "grid" and self.samples is None:
            raise ValueError(f"{self.method} needs samples, the number of points to draw")
        return self


class RunSpec(_Strict):
    kind: Literal["report", "plan", "uncertainty"]
    samples: int | None = Field(default=None, ge=1, le=10**7)  # uncertainty: Monte Carlo samples per point
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    objective: Literal["cost", "emissions", "cost-with-carbon"] | None = None  # plan

    @model_validator(mode="after")
    def _fits(self) -> RunSpec:
        if self.samples is not None and self.kind != "uncertainty":
            raise ValueError(f"samples is for run kind uncertainty, not {self.kind}")
        if self.objective is not None and self.kind != "plan":
            raise ValueError(f"objective is for run kind plan, not {self.kind}")
        return self

    @property
    def mc_samples(self) -> int:
        return self.samples or DEFAULT_UNCERTAINTY_SAMPLES


class Limits(_Strict):
    points: int = Field(default=DEFAULT_POINT_LIMIT, ge=1, le=10**9)
    memory: str = DEFAULT_MEMORY_LIMIT

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        parse(v, "byte", minimum=1.0)
        return v

    @property
    def memory_bytes(self) -> float:
        return parse(self.memory, "byte", minimum=1.0)


class SweepFile(_Strict):
    """The sweep file as written (validated; values still as text)."""

    name: str | None = None
    description: str | None = None
    run: RunSpec
    inputs: list[InputSpec] = Field(min_length=1, max_length=64)
    combine: CombineSpec = CombineSpec()
    keep: list[str] | None = Field(default=None, min_length=1)
    set: dict[str, Any] = Field(default_factory=dict, max_length=256)  # fixed values at every point
    limits: Limits = Limits()
    block: int | None = Field(default=None, ge=1, le=MAX_BLOCK)

    @field_validator("run", mode="before")
    @classmethod
    def _run_text(cls, v: Any) -> Any:
        return {"kind": v} if isinstance(v, str) else v

    @field_validator("combine", mode="before")
    @classmethod
    def _combine_text(cls, v: Any) -> Any:
        return {"method": v} if isinstance(v, str) else v

    @field_validator("set")
    @classmethod
    def _set_paths(cls, v: dict[str, Any]) -> dict[str, Any]:
        for p in v:
            parse_path(p)
        return v

    @model_validator(mode="after")
    def _labels(self) -> SweepFile:
        seen: dict[str, int] = {}
        for i, inp in enumerate(self.inputs):
            if inp.label in seen:
                raise ValueError(
                    f"inputs[{i}] and inputs[{seen[inp.label]}] are both named {inp.label!r}, expected one "
                    "name per input (give `name`)"
                )
            seen[inp.label] = i
        return self


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Step:
    """One step of a path: a mapping key, or a selector of list items."""

    key: str | None = None
    index: int | None = None
    match: str | None = None  # an item's id (or task)
    where: tuple[str, str] | None = None  # KEY=VALUE
    every: bool = False

    def text(self) -> str:
        if self.key is not None:
            return self.key
        if self.index is not None:
            return f"[{self.index}]"
        if self.every:
            return "[*]"
        if self.where is not None:
            return f"[{self.where[0]}={self.where[1]}]"
        return f"[{self.match}]"


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SELECTOR = re.compile(r"\[([^\[\]]+)\]")


def parse_path(path: str) -> tuple[Step, ...]:
    """`options[llm-8b].region` -> (key options, match llm-8b, key region); raises ValueError when malformed."""
    if not path or len(path) > 300:
        raise ValueError(
            f"expected a path such as 'workload.queries_per_day' (1 to 300 characters), got {path[:60]!r}"
        )
    steps: list[Step] = []
    for part in path.split("."):
        m = _KEY.match(part)
        if m is None:
            raise ValueError(
                f"cannot read the path {path!r}: {part!r} does not start with a field name, expected keys "
                "joined by dots such as 'options[ID].region'"
            )
        steps.append(Step(key=m.group(0)))
        rest = part[m.end() :]
        while rest:
            s = _SELECTOR.match(rest)
            if s is None:
                raise ValueError(
                    f"cannot read the path {path!r} at {rest!r}, expected a selector in brackets: [2], [ID], "
                    "[*] or [KEY=VALUE]"
                )
            sel = s.group(1).strip()
            if sel.isdigit():
                steps.append(Step(index=int(sel)))
            elif sel == "*":
                steps.append(Step(every=True))
            elif "=" in sel:
                k, _, v = sel.partition("=")
                steps.append(Step(where=(k.strip(), v.strip())))
            else:
                steps.append(Step(match=sel))
            rest = rest[s.end() :]
    return tuple(steps)


def _item_name(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for k in ("id", "task"):
            if k in item:
                return str(item[k])
    return None


def _select(items: list[Any], step: Step, path: str) -> list[Any]:
    if step.index is not None:
        if step.index >= len(items):
            raise InputError(f"{path}: position {step.index} is past the end of a list of {len(items)}")
        return [items[step.index]]
    if step.every:
        return list(items)
    if step.where is not None:
        k, v = step.where
        found = [it for it in items if isinstance(it, Mapping) and str(it.get(k)) == v]
        if not found:
            raise InputError(f"{path}: no item with {k}={v}")
        return found
    found = [it for it in items if _item_name(it) == step.match]
    if not found:
        names = [n for n in (_item_name(it) for it in items) if n is not None]
        raise InputError(f"{path}: no item {step.match!r}, expected one of {', '.join(names) or '(none)'}")
    return found


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Write `value` at `path` in `raw`, in place (mappings on the way are created; list items must exist)."""
    steps = parse_path(path)
    targets: list[Any] = [raw]
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        nxt: list[Any] = []
        for node in targets:
            if step.key is not None:
                if not isinstance(node, dict):
                    shown = ".".join(s.text() for s in steps[:i]).replace(".[", "[")
                    raise InputError(
                        f"{path}: {shown} is not a mapping of fields, cannot set {step.key!r} in it"
                    )
                if last:
                    node[step.key] = copy.deepcopy(value)
                    continue
                if node.get(step.key) is None:
                    following = steps[i + 1]
                    if following.key is None:
                        raise InputError(f"{path}: the scenario has no list {step.key!r} to select from")
                    node[step.key] = {}
                nxt.append(node[step.key])
            else:
                if not isinstance(node, list):
                    raise InputError(
                        f"{path}: {step.text()} selects from a list, found {type(node).__name__}"
                    )
                if last:
                    raise InputError(f"{path}: a path ends with a field name, not a selector")
                nxt.extend(_select(node, step, path))
        targets = nxt


def apply_point(raw: Mapping[str, Any], edits: Sequence[tuple[Sequence[str], Any]]) -> dict[str, Any]:
    """A deep copy of `raw` with each (paths, value) written; the caller validates it again."""
    out = copy.deepcopy(dict(raw))
    for paths, value in edits:
        for p in paths:
            set_path(out, p, value)
    return out


# --------------------------------------------------------------------------- values


def _round(x: float) -> float:
    return float(f"{x:.{SIGNIFICANT}g}")


def _number_text(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _split_quantity(value: Any) -> tuple[float, str, Any] | None:
    """(magnitude, unit text as written, pint unit) of a number or a quantity text; None for other values."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, str):
        m = re.match(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", value)
        if m is None:
            return None
        try:
            q = to_quantity(value)
        except UnitError:
            return None
        unit = value[m.end() :].strip()
        return float(q.magnitude), unit, q.units
    q = to_quantity(float(value))
    return float(value), "", q.units


@dataclass(frozen=True)
class Axis:
    """An input's values: what is written into the scenario, and what its column holds.

    `numeric`: the column holds floats in `unit` ("" for a plain number); otherwise text.
    `dist`: a distribution to sample (then `levels` is empty and values are made by `value_at`).
    """

    label: str
    paths: tuple[str, ...]
    levels: tuple[Any, ...]  # raw values to write, for a list or a range
    column: tuple[Any, ...]  # the column's values, one per level
    numeric: bool
    unit: str
    integer: bool = False
    dist: Dist | None = None

    @property
    def column_name(self) -> str:
        return f"{self.label} [{self.unit}]" if self.unit else self.label

    def size(self) -> int:
        return len(self.levels)

    def at_quantiles(self, u: np.ndarray) -> list[tuple[Any, Any]]:
        """(raw value, column value) at probabilities `u` in [0, 1): a level for a list, a draw for a dist."""
        if self.dist is None:
            k = len(self.levels)
            idx = np.minimum((u * k).astype(np.int64), k - 1)
            return [(self.levels[i], self.column[i]) for i in idx]
        out = []
        for x in self.dist.quantile(u):
            v = _round(float(x))
            out.append((f"{_number_text(v)} {self.unit}".strip() if self.unit else v, v))
        return out


def _range_count(r: RangeSpec, field: str) -> tuple[float, float, float, str, bool]:
    parts = {}
    for k, v in (("from", r.start), ("to", r.stop), ("step", r.step)):
        sq = _split_quantity(v)
        if sq is None:
            raise InputError(
                f"got {v!r}, expected a number or a quantity such as '1000000 query/day'",
                field=f"{field}.{k}",
            )
        parts[k] = sq
    unit_text, unit = parts["from"][1], parts["from"][2]
    ureg_q = to_quantity
    conv = {}
    for k, (mag, text, _u) in parts.items():
        try:
            conv[k] = (
                float(ureg_q(f"{mag!r} {text}".strip()).to(unit).magnitude) if text != unit_text else mag
            )
        except Exception as e:  # pint's DimensionalityError: a step in another dimension
            raise InputError(
                f"got {getattr(r, {'from': 'start', 'to': 'stop'}.get(k, k))!r}, expected the unit of `from` "
                f"({unit_text or 'a plain number'})",
                field=f"{field}.{k}",
            ) from e
    start, stop, step = conv["from"], conv["to"], conv["step"]
    if not step > 0:
        raise InputError(f"got {r.step!r}, expected a step above 0", field=f"{field}.step")
    if stop < start:
        raise InputError(f"got {r.stop!r} below `from` {r.start!r}, expected to >= from", field=f"{field}.to")
    integer = not unit_text and all(isinstance(v, int) for v in (r.start, r.step))
    return start, stop, step, unit_text, integer


def range_size(r: RangeSpec, field: str) -> int:
    """Values from `from` to `to` by `step`: `to` itself when it lies a whole number of steps away (within
    a billionth of a step, so 0 to 0.3 by 0.1 gives four values despite binary fractions)."""
    start, stop, step, _, _ = _range_count(r, field)
    k = math.floor((stop - start) / step)
    if abs(start + (k + 1) * step - stop) <= 1e-9 * step:
        k += 1
    return k + 1


def _axis(inp: InputSpec, field: str, limit: int) -> Axis:
    paths = tuple(inp.paths)
    if inp.values is not None:
        parts = [_split_quantity(v) for v in inp.values]
        if all(p is not None for p in parts):
            first = parts[0]
            assert first is not None
            col = []
            for i, p in enumerate(parts):
                assert p is not None
                try:
                    col.append(float((p[0] * p[2]).to(first[2]).magnitude) if p[1] != first[1] else p[0])
                except Exception as e:  # pint's DimensionalityError
                    raise InputError(
                        f"got {inp.values[i]!r}, expected a value in the unit of the first ({first[1] or 'a plain number'})",
                        field=f"{field}.values[{i}]",
                    ) from e
            integer = not first[1] and all(isinstance(v, int) for v in inp.values)
            return Axis(inp.label, paths, tuple(inp.values), tuple(col), True, first[1], integer)
        col_text = tuple(v if isinstance(v, str) else _flow(v) for v in inp.values)
        return Axis(inp.label, paths, tuple(inp.values), col_text, False, "")
    if inp.range is not None:
        f = f"{field}.range"
        n = range_size(inp.range, f)
        if n > limit:
            raise InputError(
                f"{n:,} values, over the point budget of {limit:,} (limits.points); expected a larger step",
                field=f,
            )
        start, _stop, step, unit, integer = _range_count(inp.range, f)
        vals = [_round(start + k * step) for k in range(n)]
        levels: tuple[Any, ...]
        if integer:
            levels = tuple(int(v) for v in vals)
        elif unit:
            levels = tuple(f"{_number_text(v)} {unit}" for v in vals)
        else:
            levels = tuple(vals)
        return Axis(inp.label, paths, levels, tuple(float(v) for v in vals), True, unit, integer)
    assert inp.dist is not None
    return Axis(inp.label, paths, (), (), True, *_dist(inp.dist, f"{field}.dist"))


def _dist(d: DistSpec, field: str) -> tuple[str, bool, Dist]:
    names = [k for k in DIST_PARAMS[d.dist] if k != "sigma"]
    first = None
    params: dict[str, float] = {}
    for k in names:
        v = getattr(d, k)
        sq = _split_quantity(v)
        if sq is None:
            raise InputError(
                f"got {v!r}, expected a number or a quantity such as '20 %'", field=f"{field}.{k}"
            )
        if first is None:
            first = sq
            params[k] = sq[0]
            continue
        try:
            params[k] = float((sq[0] * sq[2]).to(first[2]).magnitude) if sq[1] != first[1] else sq[0]
        except Exception as e:  # pint's DimensionalityError
            raise InputError(
                f"got {v!r}, expected the unit of {names[0]} ({first[1] or 'a plain number'})",
                field=f"{field}.{k}",
            ) from e
    assert first is not None
    if d.dist == "lognormal":
        params["sigma"] = float(d.sigma or 0.0)
    p = params
    if d.dist == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
        raise InputError(f"expected low <= mode <= high, got {d.low}, {d.mode}, {d.high}", field=field)
    if d.dist in ("range", "uniform") and not p["low"] <= p["high"]:
        raise InputError(f"expected low <= high, got {d.low}, {d.high}", field=field)
    if d.dist == "normal" and p["sd"] < 0:
        raise InputError(f"expected sd >= 0, got {d.sd}", field=field)
    if d.dist == "lognormal" and p["median"] <= 0:
        raise InputError(f"expected a positive median, got {d.median}", field=field)
    return first[1], False, Dist(d.dist, params, "absolute")


def _flow(v: Any) -> str:
    import json

    return json.dumps(v, sort_keys=True, default=str)


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: its file, its axes, and how many points it has (nothing expanded yet)."""

    spec: SweepFile
    file: str
    axes: tuple[Axis, ...]
    count: int

    @property
    def method(self) -> str:
        return self.spec.combine.method

    def points(
        self, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[int, tuple[Any, ...], tuple[Any, ...]]]:
        """(index, raw values, column values) of points start..stop, in the sweep's order.

        A grid runs over every combination, the last input fastest (nested loops in the order written);
        samples are drawn once from the seed (all of them, so point k is the same whatever the range).
        """
        stop = self.count if stop is None else min(stop, self.count)
        if self.method == "grid":
            sizes = [a.size() for a in self.axes]
            for k in range(start, stop):
                idx = []
                rem = k
                for s in reversed(sizes):
                    idx.append(rem % s)
                    rem //= s
                idx.reverse()
                yield (
                    k,
                    tuple(a.levels[i] for a, i in zip(self.axes, idx, strict=True)),
                    tuple(a.column[i] for a, i in zip(self.axes, idx, strict=True)),
                )
            return
        u = self.unit_samples()
        cols = [a.at_quantiles(u[:, j]) for j, a in enumerate(self.axes)]
        for k in range(start, stop):
            yield k, tuple(c[k][0] for c in cols), tuple(c[k][1] for c in cols)

    def unit_samples(self) -> np.ndarray:
        """(count, inputs) points in [0, 1)^d from the seeded Latin hypercube or scrambled Sobol' sequence."""
        from scipy.stats import qmc

        d = len(self.axes)
        rng = np.random.default_rng(np.random.SeedSequence([self.spec.combine.seed, 0x5EEB]))
        if self.method == "latin-hypercube":
            return np.asarray(qmc.LatinHypercube(d=d, seed=rng).random(self.count))
        # Sobol' balance holds for powers of two: draw the next one up and keep the first `count`
        m = max(0, math.ceil(math.log2(self.count)))
        return np.asarray(qmc.Sobol(d=d, scramble=True, seed=rng).random_base2(m)[: self.count])

    def edits(self, raw_values: Sequence[Any]) -> list[tuple[tuple[str, ...], Any]]:
        """What to write into the scenario for a point: the fixed `set` values, then each input's value."""
        fixed = [((p,), v) for p, v in self.spec.set.items()]
        return fixed + [(a.paths, v) for a, v in zip(self.axes, raw_values, strict=True)]


def sweep_from_dict(data: Any, *, file: str) -> Sweep:
    """Validate a sweep mapping and count its points; refuses a grid over the point budget before expanding."""
    spec = validate(SweepFile, data, file=file)
    limit = spec.limits.points
    axes = []
    for i, inp in enumerate(spec.inputs):
        try:
            axes.append(_axis(inp, f"inputs[{i}]", limit))
        except InputError as e:
            raise e.located(file=file) from e
    if spec.combine.method == "grid":
        drawn = [i for i, a in enumerate(axes) if a.dist is not None]
        if drawn:
            raise InputError(
                "a distribution cannot be a grid axis, expected values or range, or combine: "
                "{method: latin-hypercube, samples: N} to sample it",
                file=file,
                field=f"inputs[{drawn[0]}].dist",
            )
        count = math.prod(a.size() for a in axes)
        if count > limit:
            sizes = " x ".join(f"{a.size():,}" for a in axes)
            raise InputError(
                f"the grid has {sizes} = {count:,} points, over the point budget of {limit:,}; expected fewer "
                "values or a higher limits.points",
                file=file,
                field="inputs",
            )
    else:
        count = int(spec.combine.samples or 0)
        if count > limit:
            raise InputError(
                f"{count:,} samples, over the point budget of {limit:,}; expected fewer samples or a higher "
                "limits.points",
                file=file,
                field="combine.samples",
            )
    return Sweep(spec, file, tuple(axes), count)


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file (the same file checks as a scenario: size, nesting, aliases)."""
    return sweep_from_dict(read_yaml(path), file=str(path))


def block_size(sweep: Sweep) -> int:
    """Points per block: the file's `block`, else about 200 blocks (1 to 100 points each).

    Fixed by the sweep alone, never by the backend or the worker count.
    """
    if sweep.spec.block is not None:
        return sweep.spec.block
    return max(1, min(100, math.ceil(sweep.count / 200)))


def sweep_identity(sweep: Sweep) -> dict[str, Any]:
    """What decides the points of a sweep and their rows (for --resume to refuse mixing two sweeps)."""
    return {"sweep": sweep.spec.model_dump(mode="json", by_alias=True), "count": sweep.count}


def blocks(sweep: Sweep) -> list[range]:
    """The sweep's blocks of point indices, in order."""
    size = block_size(sweep)
    return [range(s, min(s + size, sweep.count)) for s in range(0, sweep.count, size)]


__all__ = [
    "METHODS",
    "RUN_KINDS",
    "Axis",
    "Sweep",
    "SweepFile",
    "apply_point",
    "block_size",
    "blocks",
    "load_sweep",
    "parse_path",
    "set_path",
    "sweep_from_dict",
    "sweep_identity",
]
