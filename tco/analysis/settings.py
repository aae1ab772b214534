"""Apply varied inputs to engine inputs: what sensitivity, Monte Carlo and break-even analysis change.

The inputs themselves (names, units, how a value is parsed) are described in `tco.scenario.variables`; here
a `Setting` (one input's values, as factors or in engine units) is applied to resolved engine inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import InputError
from tco.scenario.variables import Kind, Variable


@dataclass(frozen=True)
class Setting:
    """Values of one input: (samples,) array or scalar, as factors or in engine units."""

    variable: Variable
    kind: Kind
    values: Any  # float or np.ndarray

    def clipped(self, engine_values: Any) -> Any:
        v = self.variable
        lo = -np.inf if v.minimum is None else v.minimum
        hi = np.inf if v.maximum is None else v.maximum
        return np.clip(engine_values, lo, hi)

    def engine_values(self, base: Any) -> Any:
        """What the engine field becomes, given its resolved value `base`."""
        if self.kind == "factor":
            return self.clipped(np.asarray(base, dtype=float) * self.values)
        return self.clipped(np.asarray(self.values, dtype=float))


def apply_option(option: OptionInputs, settings: Mapping[str, Setting]) -> OptionInputs:
    """The option with each option-level setting applied."""
    changes: dict[str, Any] = {}
    for s in settings.values():
        var = s.variable
        if var.target != "option":
            continue
        if s.kind == "factor":
            for f in var.fields:
                changes[f] = s.engine_values(getattr(option, f))
        else:
            changes[var.absolute_field] = s.engine_values(None)
    return option.with_values(**changes) if changes else option


def apply_shared(
    workload: WorkloadInputs, finance: FinanceInputs, settings: Mapping[str, Setting]
) -> tuple[WorkloadInputs, FinanceInputs]:
    """Workload and finance with the workload- and finance-level settings applied."""
    w_changes: dict[str, Any] = {}
    f_changes: dict[str, Any] = {}
    for s in settings.values():
        var = s.variable
        if var.target == "workload":
            if var.name == "peak_to_average" and workload.daily_profile is not None:
                raise InputError(
                    "peak_to_average cannot vary when the workload gives a daily_profile (its 24 hourly "
                    "weights fix the peak); vary queries_per_day, or give peak_to_average instead",
                    field="peak_to_average",
                )
            w_changes[var.absolute_field] = s.engine_values(getattr(workload, var.absolute_field))
        elif var.target == "finance":
            f_changes[var.absolute_field] = s.engine_values(getattr(finance, var.absolute_field))
    return replace(workload, **w_changes), replace(finance, **f_changes)


def base_value(
    var: Variable, option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs
) -> float:
    """The resolved (engine-unit) value of an input for one option."""
    src: Any = {"option": option, "workload": workload, "finance": finance}[var.target]
    return float(np.mean(np.asarray(getattr(src, var.absolute_field), dtype=float)))
