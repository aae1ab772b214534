"""Engine runs kept by their inputs, so that a run asked for again is not computed again.

The planner prices each task on each option, each option's fleet per replica and month, and every plan it
compares, with the engine; many of those runs repeat within one plan (the same fleet priced for several
plans) and almost all of them repeat between two plans of a what-if that moved one input (a task's share
moves its own runs only; a quality floor moves none). `EngineRuns` is a bounded memo of
`tco.engine.core.simulate` keyed by the exact inputs, so a plan computed through it is the plan computed
without it, number for number: a run is reused only when every input the engine reads is the same.

The workload's descriptive fields, which the engine does not read (the task's name, quality floor and latency
SLO), are left out of the key (`ENGINE_BLIND`): a floor moved in the app reuses every run. So are an option's
id and name (`OPTION_BLIND`): two options alike but for their names share their runs. A test checks that the
engine's output does not move with them.
"""

from __future__ import annotations

import io
import math
import pickle
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs

T = TypeVar("T")

# Workload fields simulate does not read: a change of these reuses the runs.
ENGINE_BLIND: dict[str, Any] = {"task": "", "quality_floor": math.nan, "latency_slo_p95_s": math.nan}
# Option fields simulate does not read (names only): options alike but for them share their runs.
OPTION_BLIND: dict[str, Any] = {"id": "", "name": ""}
MAX_RUNS = 4096  # ~12 kB a run of 36 months: about 50 MB at most


def digest(value: Any) -> bytes:
    """`value` as bytes that equal values share: pickled exactly (numbers, strings, arrays by their bytes),
    without pickle's memo, so that two equal values give the same bytes whether or not they share objects
    inside (a scenario read back from the cache and the same one validated afresh). Values with cycles are not
    supported (none of the engine's inputs has one)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: each occurrence written out in full
    pickler.dump(value)
    return buffer.getvalue()


class EngineRuns:
    """A memo of engine runs (and of other computations keyed by their inputs), least recently used first out.

    Call it as `simulate` is called. `computed` and `reused` count the runs done and the runs found kept.
    """

    def __init__(self, limit: int = MAX_RUNS) -> None:
        self.limit = limit
        self._runs: OrderedDict[bytes, dict[str, np.ndarray]] = OrderedDict()
        self._other: OrderedDict[Hashable, Any] = OrderedDict()
        self.computed = 0
        self.reused = 0

    @staticmethod
    def key(option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs) -> bytes:
        """The run's inputs as bytes (`digest`), the fields the engine does not read left out (an option's id
        and name: two options alike but for them share their runs)."""
        return digest((replace(option, **OPTION_BLIND), replace(workload, **ENGINE_BLIND), finance))

    def __call__(
        self, option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs
    ) -> dict[str, np.ndarray]:
        k = self.key(option, workload, finance)
        found = self._runs.get(k)
        if found is not None:
            self._runs.move_to_end(k)
            self.reused += 1
            return found
        out = simulate(option, workload, finance)
        self.computed += 1
        self._runs[k] = out
        if len(self._runs) > self.limit:
            self._runs.popitem(last=False)
        return out

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` kept under `key` (a computation other than an engine run, keyed by all it reads)."""
        if key in self._other:
            self._other.move_to_end(key)
            found: T = self._other[key]
            return found
        value = compute()
        self._other[key] = value
        if len(self._other) > self.limit:
            self._other.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._runs)
