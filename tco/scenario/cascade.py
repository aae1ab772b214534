"""A measured escalation cascade: the file `tco measure-cascade` writes, and what a scenario takes from it.

The file (format `slm-tco.cascade/1`) says how a small model's answers were scored for confidence, which
share of the task set it passed on to the larger model, and the quality of the cascade and of each model
alone on the same set::

    format: slm-tco.cascade/1
    task: arithmetic
    prompts: {source: measure/tasks/arithmetic.jsonl, n: 20}
    first: {model: llama-3.2-1b, kind: causal-lm, parameters: 1235814400,
            quality: {metric: exact-match-number, value: 0.35, n: 20}}
    then: {model: llama-3.1-8b, kind: causal-lm, parameters: 8030261248,
           quality: {metric: exact-match-number, value: 0.8, n: 20}}
    confidence: {rule: mean log-probability of the generated tokens (greedy decoding), unit: nat/token,
                 selection: threshold, threshold: -0.9,
                 observed: {min: -2.1, p25: -1.2, median: -0.7, p75: -0.4, max: -0.1}}
    escalate: 45 %            # share of the set passed on (escalated / n)
    escalated: 9
    quality: {metric: exact-match-number, value: 0.75, n: 20}   # the cascade's
    measured: {date: '2026-11-23', tool: slm-tco 0.1.0 (tco measure-cascade), device: cpu, ...}

A scenario's cascade takes it with `escalate: {measured: path/to/cascade.yaml}` (relative to the scenario
file): the share and the cascade's quality both come from the file, and the assumptions say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from tco.errors import InputError
from tco.scenario.portfolio import CascadeSpec, MeasuredShare, PlanSpec, _Fraction, _Strict
from tco.scenario.repository import validate
from tco.scenario.yamlio import parse_yaml_text, read_bytes_checked

FORMAT = "slm-tco.cascade/1"


class MeasuredQuality(_Strict):
    """A mean score in [0, 1] over `n` scored prompts."""

    metric: str = Field(min_length=1, max_length=80)
    value: _Fraction
    n: int = Field(ge=1)


class CascadeModel(_Strict):
    """One model of the cascade and its own quality on the whole set."""

    model: str = Field(min_length=1, max_length=300)
    kind: Literal["causal-lm", "seq2seq", "classifier"]
    parameters: int | None = Field(default=None, ge=1)
    quality: MeasuredQuality


class ConfidenceRule(_Strict):
    """How the first model's answers were scored for confidence and which were passed on."""

    rule: str = Field(min_length=1, max_length=300)
    unit: str = Field(max_length=40)  # of the confidence and the threshold: nat/token, or "" (probability)
    selection: Literal["threshold", "share"]  # below a given threshold, or a given share least confident
    threshold: float | None = None  # escalated: confidence below it (None: every answer was escalated)
    share_asked: _Fraction | None = None  # with selection: share
    # the spread of the first model's confidences on the set (min, p25, median, p75, max), to pick a threshold
    observed: dict[Literal["min", "p25", "median", "p75", "max"], float | None] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ConfidenceRule:
        if self.selection == "threshold" and self.threshold is None:
            raise ValueError("selection threshold needs the threshold")
        if self.selection == "share" and self.share_asked is None:
            raise ValueError("selection share needs share_asked")
        return self


class PromptSource(_Strict):
    source: str = Field(min_length=1, max_length=1000)
    n: int = Field(ge=1)


class CascadeMeasurement(_Strict):
    """A cascade measured on a task set (the file `tco measure-cascade` writes)."""

    format: Literal["slm-tco.cascade/1"]
    task: str = Field(min_length=1, max_length=80)
    prompts: PromptSource
    first: CascadeModel
    then: CascadeModel
    confidence: ConfidenceRule
    escalate: _Fraction  # share of the set passed on to `then`
    escalated: int = Field(ge=0)
    quality: MeasuredQuality  # the cascade's
    measured: dict[str, str | int | float | list[str] | None]  # how: date, tool, version, device, ...

    @model_validator(mode="after")
    def _consistent(self) -> CascadeMeasurement:
        n = self.prompts.n
        if self.escalated > n:
            raise ValueError(f"escalated {self.escalated} of {n} prompts, expected at most {n}")
        if abs(self.escalate - self.escalated / n) > 0.5 / n:
            raise ValueError(
                f"escalate {self.escalate:.4g} differs from escalated / n = {self.escalated}/{n}, "
                "expected the same share"
            )
        metrics = {self.quality.metric, self.first.quality.metric, self.then.quality.metric}
        if len(metrics) != 1:
            raise ValueError(f"qualities in different metrics {sorted(metrics)}, expected one metric")
        if max(self.quality.n, self.first.quality.n, self.then.quality.n) > n:
            raise ValueError(f"a quality is scored on more prompts than the set's {n}")
        return self


@dataclass(frozen=True)
class MeasuredCascade:
    """A cascade measurement as a scenario uses it: the file it was read from and its content."""

    file: str
    result: CascadeMeasurement


def read_cascade_measurement(path: Path | str, *, where: tuple[str, str] | None = None) -> CascadeMeasurement:
    """Read and validate a cascade measurement file; every problem is one InputError naming the file.

    `where`: (file, field) of the scenario naming it, said instead when the file cannot be read at all."""
    try:
        content = read_bytes_checked(path)
    except InputError as e:
        if where is None:
            raise
        raise InputError(e.detail, file=where[0], field=f"{where[1]} ({path})") from e
    data = parse_yaml_text(content, file=str(path))
    return validate(CascadeMeasurement, data, file=str(path))


def load_measured_cascades(
    plan: PlanSpec | None, *, file: str, base_dir: Path | None
) -> dict[str, MeasuredCascade]:
    """The measured files of the plan's cascades (`escalate: {measured: ...}`), by cascade id.

    Paths are relative to the scenario's folder. `base_dir` None: the scenario did not come from this
    machine's disk (an upload), so no path it names is opened. A file measured on another task than its
    cascade's is refused."""
    out: dict[str, MeasuredCascade] = {}
    if plan is None:
        return out
    for i, c in enumerate(plan.cascades):
        if not isinstance(c.escalate, MeasuredShare):
            continue
        where = f"plan.cascades[{i}].escalate.measured"
        if base_dir is None:
            raise InputError(
                "a measured cascade file cannot be read for an uploaded scenario, expected a share such as 40 %",
                file=file,
                field=where,
            )
        p = Path(c.escalate.measured)
        if not p.is_absolute():
            p = base_dir / p
        result = read_cascade_measurement(p, where=(file, where))
        if result.task != c.task:
            raise InputError(
                f"measured on task {result.task!r} (file {p}), expected a measurement of task {c.task!r}",
                file=file,
                field=f"{where}",
            )
        out[c.id] = MeasuredCascade(str(p), result)
    return out


@dataclass(frozen=True)
class CascadeTerms:
    """What a cascade route uses: the share passed on, and its quality where known (given or measured)."""

    share: float
    quality: float | None  # None: from the two models' own qualities (the mix)
    metric: str | None  # of `quality`
    measured: MeasuredCascade | None


def cascade_terms(c: CascadeSpec, measured: Mapping[str, MeasuredCascade]) -> CascadeTerms:
    """The share and quality of cascade `c`: from its measured file, else as the scenario gives them."""
    m = measured.get(c.id)
    if m is not None:
        q = m.result.quality
        return CascadeTerms(m.result.escalate, q.value, q.metric, m)
    if isinstance(c.escalate, MeasuredShare):  # not loaded (never with load_scenario): refuse to guess
        raise InputError(f"cascade {c.id!r}: its measured file was not loaded", field="plan.cascades")
    return CascadeTerms(float(c.escalate), c.quality, None, None)


def describe_measurement(m: MeasuredCascade) -> str:
    """One line on how a cascade's share was measured: file, set, rule, threshold, date."""
    r = m.result
    rule = r.confidence
    if rule.threshold is None:
        cut = "every answer escalated"
    else:
        unit = f" {rule.unit}" if rule.unit else ""
        cut = f"threshold {rule.threshold:.4g}{unit}"
    how = f"{rule.share_asked:.0%} least confident" if rule.selection == "share" else "confidence below it"
    date = r.measured.get("date")
    return (
        f"measured: {m.file} ({r.first.model} -> {r.then.model} on {r.prompts.source}, n={r.prompts.n}; "
        f"{rule.rule}, {cut}, {how}{f'; {date}' if date else ''})"
    )
