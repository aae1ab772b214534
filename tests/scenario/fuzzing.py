"""Mutations of shipped scenarios for the fuzz tests (tests/scenario/test_fuzz.py): hostile values, types, units,
keys, deletions and duplications, drawn with hypothesis; and the one rule every outcome must follow."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tco.analysis.evaluate import evaluate
from tco.errors import TcoError
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import Repository, load_repository
from tco.scenario.yamlio import read_yaml

FILE = "fuzz.yaml"
# Totals that must be finite and non-negative for every option of a scenario that loads.
NON_NEGATIVE = (
    "tco_cost",
    "npv_cost",
    "energy_kwh",
    "emissions_kg",
    "emissions_operational_kg",
    "emissions_embodied_kg",
    "cost_per_1k_queries",
    "levelised_cost_per_1k_queries",
    "g_per_query",
    "accelerators_peak",
)

UNITS = [
    "", "query/day", "queries/day", "USD", "EUR", "GBP", "EUR/kWh", "USD/kWh", "%", "W", "kW", "kg", "years",
    "months", "month", "h", "s", "ms", "gCO2e/kWh", "kgCO2e", "USD/h", "1/s", "USD/tCO2e", "USD/Mtoken",
    "USD/kW/month", "USD/EUR", "billion", "token", "J", "Wh/query", "degC", "foo", "€", "😀", "[b]", "[/b]",
    "**2", "^2", "m^2", "/0", "*0", "[0]", "(", ")", "USD USD", "k", "1/0",
]  # fmt: skip
NUMBERS = [
    "0", "-0", "1", "-1", "0.5", "2", "1e6", "1e-9", "1e15", "1e16", "1e300", "1e400", "-1e400", "nan", "inf",
    "-inf", "2 000 000", "31 900", "1,5", "2,000,000", "1_000", "3**3**3**3", "9" * 40, ".5", "5.", "1e",
    "0x10", "½", "١٢", "+", "-",
]  # fmt: skip
TEXT = [
    "", " ", "Plan [/b] 2026", "[bold]x[/bold]", "[link=file:///etc/passwd]x[/link]", "\x00", "\n\n", "a" * 5000,
    "/dev/zero", "../../etc/passwd", "%s%s%n", "{0}", "${HOME}", "on-prem", "cloud", "api", "moon",
    "auto", "committed", "on-demand", "low", "central", "high", "sentiment", "2026-01", "2026-13", "9999-99",
]  # fmt: skip


def quantity_strings() -> st.SearchStrategy[str]:
    return st.builds(
        lambda n, sep, u: f"{n}{sep}{u}",
        st.sampled_from(NUMBERS) | st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["", " ", "  ", "\t"]),
        st.sampled_from(UNITS),
    )


def values() -> st.SearchStrategy[Any]:
    scalars = (
        quantity_strings()
        | st.sampled_from(TEXT)
        | st.text(max_size=40)
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.booleans()
        | st.none()
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
        max_leaves=8,
    )


Path = tuple[Any, ...]


def paths(tree: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every path (keys and list indices) into `tree`, parents before children."""
    if prefix:
        yield prefix
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from paths(v, (*prefix, i))


def _parent(tree: Any, path: Path) -> Any:
    for p in path[:-1]:
        tree = tree[p]
    return tree


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value * factor
    if isinstance(value, str):
        head, _, rest = value.strip().partition(" ")
        try:
            x = float(head)
        except ValueError:
            return value
        return f"{x * factor!r} {rest}".strip()
    return value


@dataclass(frozen=True)
class Mutation:
    op: str  # set, delete, duplicate, rename, scale, unit
    path: Path
    arg: Any = None

    def apply(self, tree: Any) -> None:
        parent, key = _parent(tree, self.path), self.path[-1]
        if self.op == "set":
            parent[key] = self.arg
        elif self.op == "delete":
            del parent[key]
        elif self.op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
            else:
                parent[f"{key}{self.arg}"] = copy.deepcopy(parent[key])
        elif self.op == "rename":
            parent[self.arg] = parent.pop(key)
        elif self.op == "scale":
            parent[key] = _scaled(parent[key], self.arg)
        elif self.op == "unit":
            v = parent[key]
            if isinstance(v, str):
                parent[key] = f"{v.strip().partition(' ')[0]} {self.arg}".strip()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[Mutation]]:
    """A shipped scenario with one to four mutations applied (the mutations returned to read a failure)."""
    name = draw(st.sampled_from(sorted(shipped_scenarios())))
    raw = copy.deepcopy(shipped_scenarios()[name])
    done: list[Mutation] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        all_paths = list(paths(raw))
        if not all_paths:
            break
        path = draw(st.sampled_from(all_paths))
        op = draw(st.sampled_from(["set", "set", "delete", "duplicate", "rename", "scale", "unit"]))
        arg: Any = None
        if op == "set":
            arg = draw(values())
        elif op == "duplicate":
            arg = draw(st.sampled_from(["", "_", "2"]))
        elif op == "rename":
            key = path[-1]
            if not isinstance(key, str):
                op, arg = "set", draw(values())
            else:
                arg = draw(
                    st.sampled_from([key[:-1], key + "s", key.upper(), "", "profile_files", "x"])
                    | st.text(max_size=8)
                )
        elif op == "scale":
            arg = draw(st.sampled_from([0.0, -1.0, 1e-9, 1e9, 1e300, 0.5, 2.0]))
        elif op == "unit":
            arg = draw(st.sampled_from(UNITS))
        m = Mutation(op, path, arg)
        m.apply(raw)
        done.append(m)
    return name, raw, done


@cache
def shipped_repository() -> Repository:
    return load_repository()


@cache
def shipped_scenarios() -> dict[str, dict[str, Any]]:
    return {name: read_yaml(p) for name, p in shipped_repository().scenario_files().items()}


def outcome(raw: Any) -> str:
    """ "ok" or "error" (slm-tco's own one-line error); anything else raises AssertionError or escapes.

    A scenario that loads must give finite, non-negative totals for every option.
    """
    try:
        loaded = scenario_from_dict(raw, file=FILE, repo=shipped_repository())
        results = evaluate(loaded)
    except TcoError as e:
        message = str(e)
        assert "\n" not in message and "\r" not in message, message
        assert message.startswith(f"{FILE}: "), message
        assert len(message) < 2000, message[:300]
        return "error"
    summary = results.summary
    for col in NON_NEGATIVE:
        column = summary[col].to_numpy(dtype=float)
        assert np.isfinite(column).all(), f"{col}: {column}"
        assert (column >= 0).all(), f"{col}: {column}"
    for col in ("cost_ratio_to_baseline", "emissions_ratio_to_baseline"):
        ratios = summary[col].to_numpy(dtype=float)
        assert all(math.isnan(r) or r >= 0 for r in ratios), f"{col}: {ratios}"
    return "ok"
