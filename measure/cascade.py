"""Measure an escalation cascade: a small model answers, its least confident answers go to a larger one.

The first model answers every query of the task set once (greedy decoding, natural output length) with a
confidence per answer:
- generative models (causal LM, seq2seq): the mean log-probability of the generated tokens, in nat/token,
  up to and including the first end-of-sequence token (transformers' `compute_transition_scores` over the
  scores `generate(output_scores=True)` returns, normalised with log-softmax);
- classifiers: the largest softmax probability of the logits (in [0, 1]).
Answers below `threshold` are escalated, or, given a share, the `round(share x n)` least confident ones
(ties go by their order in the set). The second model answers every query once too, so that each model's
own quality is scored on the same set; the cascade keeps the first model's answer, or the second's where
escalated, and is scored with the task's metric (measure/tasks.py). The result is written in the format of
tco.scenario.cascade (validated there), atomically.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure.models import Engine, LoadedModel, _forward_args
from measure.tasks import Prompt, QualityScore, Task, score
from tco.errors import InputError
from tco.scenario.cascade import FORMAT, CascadeMeasurement
from tco.scenario.repository import validate
from tco.scenario.yamlio import dump_yaml, write_atomic

GENERATIVE_RULE = "mean log-probability of the generated tokens (greedy decoding)"
GENERATIVE_UNIT = "nat/token"
CLASSIFIER_RULE = "largest softmax probability of the classifier"
CLASSIFIER_UNIT = ""


def confidence_rule(kind: str) -> tuple[str, str]:
    """(rule, unit) of the confidence of a model of `kind`."""
    return (CLASSIFIER_RULE, CLASSIFIER_UNIT) if kind == "classifier" else (GENERATIVE_RULE, GENERATIVE_UNIT)


def check_threshold(threshold: float, kind: str) -> None:
    """A threshold a confidence of `kind` can cross: in [0, 1] for classifiers, at most 0 nat/token else."""
    if not math.isfinite(threshold):
        raise InputError(f"expected a finite number, got {threshold}", field="--threshold")
    if kind == "classifier" and not 0.0 <= threshold <= 1.0:
        raise InputError(
            f"{threshold:g} is no probability; the first model is a classifier, expected a threshold in [0, 1]",
            field="--threshold",
        )
    if kind != "classifier" and threshold > 0.0:
        raise InputError(
            f"{threshold:g} is above 0; the first model generates text and its confidence is a mean "
            "log-probability, expected a threshold of at most 0 nat/token (e.g. -1.5)",
            field="--threshold",
        )


@dataclass(frozen=True)
class Answer:
    """One answer of a model and its confidence (see the module docstring for the unit)."""

    output: str
    confidence: float


@dataclass(frozen=True)
class Selection:
    """Which answers are escalated, and the threshold that separates them (None: all escalated)."""

    escalated: tuple[bool, ...]
    threshold: float | None

    @property
    def count(self) -> int:
        return sum(self.escalated)

    @property
    def share(self) -> float:
        """Escalated share of the set, in [0, 1]."""
        return self.count / len(self.escalated) if self.escalated else 0.0


def select_escalated(
    confidences: Sequence[float], *, threshold: float | None = None, share: float | None = None
) -> Selection:
    """Escalate answers with confidence below `threshold`, or the `round(share x n)` least confident ones
    (ties by order in the set; NaN counts as least confident). Exactly one of the two is given."""
    if (threshold is None) == (share is None):
        raise ValueError("give exactly one of threshold and share")
    conf = [c if not math.isnan(c) else -math.inf for c in confidences]
    if threshold is not None:
        return Selection(tuple(c < threshold for c in conf), threshold)
    assert share is not None
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share {share} outside [0, 1]")
    k = math.floor(share * len(conf) + 0.5)
    order = sorted(range(len(conf)), key=lambda i: (conf[i], i))
    chosen = set(order[:k])
    kept = [conf[i] for i in order[k:]]
    return Selection(tuple(i in chosen for i in range(len(conf))), min(kept) if kept else None)


@dataclass(frozen=True)
class CascadeOutcome:
    """The cascade on one task set: the selection, and the qualities of the cascade and of each model."""

    selection: Selection
    quality: QualityScore
    first_quality: QualityScore
    then_quality: QualityScore
    outputs: tuple[str, ...]  # the cascade's answers


def cascade_outcome(
    task: Task,
    prompts: Sequence[Prompt],
    first: Sequence[Answer],
    then_outputs: Sequence[str],
    selection: Selection,
    *,
    source: str = "the prompt set",
) -> CascadeOutcome:
    """Score the cascade (the second model's answer where escalated, else the first's) and each model."""
    if not len(prompts) == len(first) == len(then_outputs) == len(selection.escalated):
        raise ValueError("prompts, answers and selection differ in length")
    outputs = tuple(
        t if esc else f.output for f, t, esc in zip(first, then_outputs, selection.escalated, strict=True)
    )
    q = score(task, prompts, outputs)
    q1 = score(task, prompts, [a.output for a in first])
    q2 = score(task, prompts, then_outputs)
    if q is None or q1 is None or q2 is None:
        raise InputError(
            "no prompt has a reference, expected references to score the cascade's quality", file=source
        )
    return CascadeOutcome(selection, q, q1, q2, outputs)


# --------------------------------------------------------------------------- running models


def answer_with_confidence(engine: Engine, prompts: Sequence[Prompt], *, batch_size: int) -> list[Answer]:
    """Every prompt's answer and its confidence, in batches of `batch_size`, in order."""
    out: list[Answer] = []
    for start in range(0, len(prompts), batch_size):
        out.extend(_batch(engine, prompts[start : start + batch_size]))
    return out


def _batch(engine: Engine, prompts: Sequence[Prompt]) -> list[Answer]:
    import torch

    loaded: LoadedModel = engine.loaded
    tok, model = loaded.tokenizer, loaded.model
    enc = tok(
        engine.texts(prompts),
        padding=True,
        truncation=True,
        max_length=engine.max_input_tokens,
        return_tensors="pt",
    )
    if loaded.kind != "classifier" or "token_type_ids" not in _forward_args(model):
        enc.pop("token_type_ids", None)
    device = next(model.parameters()).device
    enc = {k: v.to(device) for k, v in enc.items()}
    with torch.inference_mode():
        if loaded.kind == "classifier":
            probs = torch.softmax(model(**enc).logits.float(), dim=-1)
            best, ids = probs.max(dim=-1)
            return [
                Answer(engine._label(int(i)), float(p))
                for p, i in zip(best.tolist(), ids.tolist(), strict=True)
            ]
        gen_out = model.generate(
            **enc,
            max_new_tokens=engine.max_new_tokens,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            output_scores=True,
            return_dict_in_generate=True,
        )
        seq = gen_out.sequences
        gen = seq[:, enc["input_ids"].shape[1] :] if loaded.kind == "causal-lm" else seq[:, 1:]
        logp = model.compute_transition_scores(seq, gen_out.scores, normalize_logits=True).float()
        lengths = Engine._count(gen.tolist(), eos_ids(loaded), tok.pad_token_id)
        texts = tok.batch_decode(gen, skip_special_tokens=True)
    return [
        Answer(text, mean_log_probability(row[:n].tolist()))
        for text, row, n in zip(texts, logp, lengths, strict=True)
    ]


def eos_ids(loaded: LoadedModel) -> list[int]:
    """Every token id that ends generation: the tokenizer's end-of-sequence and the generation config's
    (instruction-tuned models often stop at several), so that no padding after the end is scored."""
    ids: set[int] = set()
    configured = getattr(getattr(loaded.model, "generation_config", None), "eos_token_id", None)
    for value in (loaded.tokenizer.eos_token_id, configured):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(int(v) for v in value)
    return sorted(ids)


def mean_log_probability(token_log_probs: Sequence[float]) -> float:
    """Mean of the generated tokens' log-probabilities, nat/token (-inf for no token)."""
    return sum(token_log_probs) / len(token_log_probs) if token_log_probs else -math.inf


# --------------------------------------------------------------------------- the file


def _quality(q: QualityScore) -> dict[str, Any]:
    return {"metric": q.metric, "value": round(q.value, 6), "n": q.n}


def _finite(x: float | None) -> float | None:
    return round(x, 6) if x is not None and math.isfinite(x) else None


def _percent(share: float) -> str:
    """A share as text with its unit: 0.3125 -> "31.25 %"."""
    return f"{share * 100:.6g} %"


def observed_confidences(confidences: Sequence[float]) -> dict[str, float | None]:
    """The spread of the first model's confidences (min, quartiles, max), to choose a threshold by;
    None for a value that is not finite."""
    from measure import stats

    xs = [c if not math.isnan(c) else -math.inf for c in confidences]
    return {
        "min": _finite(min(xs)),
        "p25": _finite(stats.percentile(xs, 25)),
        "median": _finite(stats.percentile(xs, 50)),
        "p75": _finite(stats.percentile(xs, 75)),
        "max": _finite(max(xs)),
    }


def build_cascade(
    *,
    task: Task,
    source: str,
    n: int,
    first: LoadedModel,
    then: LoadedModel,
    outcome: CascadeOutcome,
    confidences: Sequence[float],
    threshold: float | None,
    share: float | None,
    measured: dict[str, Any],
) -> dict[str, Any]:
    """The cascade file's data (format tco.scenario.cascade), not yet validated."""
    rule, unit = confidence_rule(first.kind)
    sel = outcome.selection
    confidence: dict[str, Any] = {"rule": rule, "unit": unit}
    if threshold is not None:
        confidence |= {"selection": "threshold", "threshold": threshold}
    else:
        confidence |= {
            "selection": "share",
            "threshold": _finite(sel.threshold),
            "share_asked": _percent(share or 0.0),
        }
    confidence["observed"] = observed_confidences(confidences)
    return {
        "format": FORMAT,
        "task": task.name,
        "prompts": {"source": source, "n": n},
        "first": {
            "model": first.name,
            "kind": first.kind,
            "parameters": first.parameters,
            "quality": _quality(outcome.first_quality),
        },
        "then": {
            "model": then.name,
            "kind": then.kind,
            "parameters": then.parameters,
            "quality": _quality(outcome.then_quality),
        },
        "confidence": confidence,
        "escalate": _percent(sel.share),
        "escalated": sel.count,
        "quality": _quality(outcome.quality),
        "measured": measured,
    }


def provenance(*, device: str, dtype: str, max_new_tokens: int, batch_size: int) -> dict[str, Any]:
    """How the cascade was measured: date, tool and library versions, device, decoding."""
    from measure.profile import _versions, tool_version

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {
        "date": now.isoformat(),
        "tool": "tco measure-cascade",
        "tool_version": tool_version(),
        **_versions(),
        "device": device,
        "dtype": dtype,
        "decoding": "greedy, natural output length",
        "max_new_tokens": max_new_tokens,
        "batch_size": batch_size,
        "notes": "the second model answered every query once (its own quality); the cascade takes its "
        "answers for the escalated queries",
    }


def write_cascade(path: Path | str, data: dict[str, Any]) -> CascadeMeasurement:
    """Validate `data` as a cascade measurement (one-line InputError if not) and write it atomically."""
    result = validate(CascadeMeasurement, data, file=str(path))
    write_atomic(
        path,
        "# Written by `tco measure-cascade`; a scenario's cascade reads it with\n"
        "# escalate: {measured: <this file>}.\n" + dump_yaml(data),
    )
    return result
