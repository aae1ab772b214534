"""Task workloads: small labelled prompt sets shipped as JSONL, a user's own prompt file, and scoring.

A prompt file holds one record per query: `input` (or `prompt`) is the text, `reference` the expected
answer (a string, a number, or a list of acceptable answers); `id` is optional. JSONL (one JSON object a
line) or YAML (a list of records, or a mapping with key `prompts`). Records without `reference` are run
but not scored. Generative models see `input` through the task's template; classifiers see `input` as is.

Metrics (all in [0, 1], higher is better):
- accuracy: the first label word in the output (or the classifier's label) equals the reference;
- exact-match: the first line, normalised as in SQuAD (case, punctuation, articles), equals an answer;
- exact-match-number: the last number in the output equals the reference number;
- token-f1: F1 of word/symbol tokens of the output against the reference (ROUGE-1 F1 for summaries).
  Code is scored this way, by overlap: `tco measure` never executes model output.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from tco.errors import InputError
from tco.scenario.yamlio import parse_json_text, parse_yaml_text, read_text_checked, shown_key


@dataclass(frozen=True)
class Prompt:
    """One query of a workload."""

    id: str
    input: str
    reference: tuple[str, ...] | None  # acceptable answers; None: not scored


@dataclass(frozen=True)
class Task:
    """A task: how to prompt a generative model and how to score its output."""

    name: str
    metric: str
    template: str  # with "{input}"
    max_new_tokens: int  # default output budget, tokens
    labels: tuple[str, ...] = ()  # classification tasks, in label-id order of the usual datasets


TASKS: dict[str, Task] = {
    "sentiment": Task(
        "sentiment",
        "accuracy",
        "Review: {input}\nIs this review positive or negative?\nAnswer:",
        4,
        labels=("negative", "positive"),
    ),
    "summarisation": Task("summarisation", "token-f1", "{input}\nSummary in one sentence:", 48),
    "qa": Task("qa", "exact-match", "Answer with a few words.\nQuestion: {input}\nAnswer:", 16),
    "arithmetic": Task(
        "arithmetic",
        "exact-match-number",
        "Question: {input}\nThink step by step, then give the number.\nAnswer:",
        64,
    ),
    "code": Task("code", "token-f1", "Complete the Python function.\n{input}\n", 96),
}
ALIASES = {
    "summarization": "summarisation",
    "summary": "summarisation",
    "content-creation": "summarisation",
    "short-answer-qa": "qa",
    "math": "arithmetic",
    "code-generation": "code",
}
GENERIC_TEMPLATE = "{input}"


def get_task(name: str) -> Task:
    """The task called `name` (or an alias); an unknown name is an InputError listing the known ones."""
    key = ALIASES.get(name, name)
    if key not in TASKS:
        raise InputError(
            f"unknown task {name!r}, expected one of {', '.join(TASKS)} (or give your own file with --prompts)",
            field="task",
        )
    return TASKS[key]


def custom_task(name: str, metric: str = "token-f1") -> Task:
    """A task for a user's prompt file under a name we do not ship: prompts are sent as they are."""
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}, expected one of {', '.join(METRICS)}", field="metric")
    return Task(name, metric, GENERIC_TEMPLATE, 64)


def shipped_prompts_name(task: Task) -> str:
    return f"{task.name}.jsonl"


def load_shipped_prompts(task: Task) -> list[Prompt]:
    """The prompt set shipped for `task` (measure/tasks/<task>.jsonl)."""
    res = resources.files("measure").joinpath("tasks", shipped_prompts_name(task))
    return parse_jsonl(res.read_text(encoding="utf-8"), file=f"measure/tasks/{shipped_prompts_name(task)}")


def load_prompts(path: Path | str) -> list[Prompt]:
    """A user's prompt file: `.jsonl` (one JSON object a line) or `.yaml`/`.yml`."""
    path = Path(path)
    # the file gate: a regular file of bounded size (never a FIFO or /dev/zero), UTF-8 without control
    # characters; prompt files are not scenarios, so messages never quote their text
    text = read_text_checked(path, what="a prompt file")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = parse_yaml_text(text, file=str(path), private=True)
        if isinstance(data, dict) and "prompts" in data:
            data = data["prompts"]
        if not isinstance(data, list):
            raise InputError(
                "expected a list of prompt records (or a key 'prompts' holding one)", file=str(path)
            )
        return _records(data, file=str(path), where=lambda i: f"[{i}]")
    if path.suffix.lower() in (".jsonl", ".json"):
        return parse_jsonl(text, file=str(path))
    raise InputError(
        f"unknown prompt file type {path.suffix!r}, expected .jsonl, .yaml or .yml", file=str(path)
    )


def parse_jsonl(text: str, *, file: str) -> list[Prompt]:
    """Prompt records from JSONL text; blank lines are skipped; errors name the line."""
    rows: list[Any] = []
    lines: list[int] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        rows.append(parse_json_text(line, file=file, line=n))
        lines.append(n)
    return _records(rows, file=file, where=lambda i: f"line {lines[i]}")


def _records(rows: Sequence[Any], *, file: str, where: Callable[[int], str]) -> list[Prompt]:
    out: list[Prompt] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError(
                f"expected a record with 'input', got {type(row).__name__}", file=file, field=where(i)
            )
        text = row.get("input", row.get("prompt"))
        if not isinstance(text, str) or not text.strip():
            raise InputError(
                "missing 'input' (or 'prompt'), expected non-empty text", file=file, field=where(i)
            )
        unknown = sorted(set(row) - {"id", "input", "prompt", "reference", "label", "answers"}, key=str)
        if unknown:
            raise InputError(
                f"unknown key {shown_key(unknown[0])}, expected id, input (or prompt), reference",
                file=file,
                field=where(i),
            )
        ref = row.get("reference", row.get("label", row.get("answers")))
        reference: tuple[str, ...] | None
        if ref is None:
            reference = None
        elif isinstance(ref, list) and ref and all(isinstance(r, str | int | float) for r in ref):
            reference = tuple(str(r) for r in ref)
        elif isinstance(ref, str | int | float) and not isinstance(ref, bool):
            reference = (str(ref),)
        else:
            raise InputError(
                f"reference must be text, a number or a list of them, got {type(ref).__name__}",
                file=file,
                field=where(i),
            )
        out.append(Prompt(id=str(row.get("id", i)), input=text, reference=reference))
    if not out:
        raise InputError("no prompts in the file", file=file)
    return out


# --------------------------------------------------------------------------- scoring

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def normalise_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def score_accuracy(output: str, reference: Sequence[str], labels: Sequence[str] = ()) -> float:
    """1.0 when the first label word in `output` (any reference word if no labels) is a reference."""
    refs = {r.lower() for r in reference}
    candidates = [x.lower() for x in labels] or sorted(refs)
    words = re.findall(r"[a-z]+", output.lower())
    first = next((w for w in words if w in candidates), None)
    return 1.0 if first is not None and first in refs else 0.0


def score_exact_match(output: str, reference: Sequence[str]) -> float:
    """1.0 when the first non-empty line of `output`, normalised, equals a normalised reference."""
    line = next((ln for ln in output.strip().splitlines() if ln.strip()), "")
    got = normalise_answer(line)
    return 1.0 if any(got == normalise_answer(r) for r in reference) else 0.0


def score_number(output: str, reference: Sequence[str]) -> float:
    """1.0 when the last number in `output` equals a reference number."""
    found = _NUMBER.findall(output)
    if not found:
        return 0.0
    try:
        got = float(found[-1].replace(",", ""))
        return 1.0 if any(abs(got - float(r.replace(",", ""))) < 1e-9 for r in reference) else 0.0
    except ValueError:
        return 0.0


def score_token_f1(output: str, reference: Sequence[str]) -> float:
    """Best F1 over references of the multiset overlap of word/symbol tokens (lower-cased)."""
    got = Counter(_TOKEN.findall(output.lower()))
    best = 0.0
    for ref in reference:
        want = Counter(_TOKEN.findall(ref.lower()))
        common = sum((got & want).values())
        if common == 0:
            continue
        precision = common / sum(got.values())
        recall = common / sum(want.values())
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


METRICS: dict[str, Callable[..., float]] = {
    "accuracy": score_accuracy,
    "exact-match": score_exact_match,
    "exact-match-number": score_number,
    "token-f1": score_token_f1,
}


@dataclass(frozen=True)
class QualityScore:
    """Quality of a model on a task: mean score over the scored prompts."""

    task: str
    metric: str
    value: float
    n: int


def score_each(task: Task, prompts: Sequence[Prompt], outputs: Sequence[str]) -> list[float | None]:
    """The score of each output (one per prompt, same order); None where the prompt has no reference."""
    if len(prompts) != len(outputs):
        raise ValueError(f"{len(outputs)} outputs for {len(prompts)} prompts")
    fn = METRICS[task.metric]
    out: list[float | None] = []
    for p, text in zip(prompts, outputs, strict=True):
        if p.reference is None:
            out.append(None)
        elif task.metric == "accuracy":
            out.append(fn(text, p.reference, task.labels))
        else:
            out.append(fn(text, p.reference))
    return out


def score(task: Task, prompts: Sequence[Prompt], outputs: Sequence[str]) -> QualityScore | None:
    """Score `outputs` (one per prompt, same order); None when no prompt has a reference."""
    scores = [s for s in score_each(task, prompts, outputs) if s is not None]
    if not scores:
        return None
    return QualityScore(task=task.name, metric=task.metric, value=sum(scores) / len(scores), n=len(scores))
