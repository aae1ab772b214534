"""`tco measure-cascade`: measure the escalation share and quality of a small-then-large cascade on a task
set, and write them (with how they were measured) for a scenario's `plan.cascades` (measure/cascade.py).

Errors are one line and exit code 2; Ctrl-C exits 130 and leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from measure.cli import (
    DtypeOpt,
    MaxNewTokensOpt,
    MetricOpt,
    PromptsOpt,
    TaskOpt,
    _checked_output,
    _say,
    _task_and_prompts,
)
from tco.errors import InputError, TcoError
from tco.scenario.units import parse
from tco.scenario.yamlio import write_error


def measure_cascade(
    first: Annotated[
        str, typer.Option("--first", help="The small model answering first (hub id or local folder).")
    ],
    then: Annotated[str, typer.Option("--then", help="The larger model the least confident answers go to.")],
    task: TaskOpt = "sentiment",
    prompts: PromptsOpt = None,
    metric: MetricOpt = "token-f1",
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Escalate answers whose confidence is below this: a mean log-probability in nat/token "
            "(at most 0) for generative models, a probability in [0, 1] for classifiers.",
        ),
    ] = None,
    escalate_share: Annotated[
        str | None,
        typer.Option(
            "--escalate-share", help="Or escalate this share of least confident answers (e.g. 30 %)."
        ),
    ] = None,
    max_new_tokens: MaxNewTokensOpt = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=1024, help="Queries per batch.")] = 8,
    first_kind: Annotated[
        str, typer.Option("--first-kind", help="auto, causal-lm, seq2seq or classifier.")
    ] = "auto",
    then_kind: Annotated[
        str, typer.Option("--then-kind", help="auto, causal-lm, seq2seq or classifier.")
    ] = "auto",
    dtype: DtypeOpt = "auto",
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Cascade YAML to write (atomically).")
    ] = None,
) -> None:
    """Measure a cascade: FIRST answers, its least confident answers go to THEN; write the escalated share,
    the cascade's quality and each model's, and how they were measured."""
    try:
        _measure_cascade(**locals())
    except KeyboardInterrupt:
        _say("interrupted: no file written")
        raise typer.Exit(130) from None
    except TcoError as e:
        _say(f"error: {e}")
        raise typer.Exit(2) from None


def _measure_cascade(**o: object) -> None:
    from measure.cascade import (
        answer_with_confidence,
        build_cascade,
        cascade_outcome,
        check_threshold,
        provenance,
        select_escalated,
        write_cascade,
    )
    from measure.models import Engine, check_config, load_model

    if (o["threshold"] is None) == (o["escalate_share"] is None):
        raise InputError("give either --threshold or --escalate-share (one of them)", field="--threshold")
    share = None
    if o["escalate_share"] is not None:
        try:
            share = parse(str(o["escalate_share"]), "", minimum=0.0, maximum=1.0)
        except InputError as e:
            raise InputError(e.detail, field="--escalate-share") from e
    threshold = float(o["threshold"]) if o["threshold"] is not None else None  # type: ignore[arg-type]
    if str(o["device"]) == "cuda-all":
        raise InputError("expected auto, cpu, cuda or cuda:N for a cascade", field="--device")
    task, prompt_list, source = _task_and_prompts(o)
    output = _checked_output(o)
    out_path = output or Path(f"cascade-{task.name}.yaml")
    max_new = int(o["max_new_tokens"]) if o["max_new_tokens"] else task.max_new_tokens  # type: ignore[call-overload]
    bs = int(o["batch_size"])  # type: ignore[call-overload]

    check_config(str(o["then"]))  # a second model that cannot load fails now, not after the first has run
    _say(f"loading {o['first']} ...")
    small = load_model(
        str(o["first"]), kind=str(o["first_kind"]), dtype=str(o["dtype"]), device=str(o["device"])
    )
    if threshold is not None:
        check_threshold(threshold, small.kind)
    first_answers = answer_with_confidence(
        Engine(small, task, max_new_tokens=max_new), prompt_list, batch_size=bs
    )
    selection = (
        select_escalated([a.confidence for a in first_answers], threshold=threshold)
        if threshold is not None
        else select_escalated([a.confidence for a in first_answers], share=share)
    )
    _say(f"{o['first']}: {selection.count} of {len(prompt_list)} answers escalated")
    _say(f"loading {o['then']} ...")
    large = load_model(
        str(o["then"]), kind=str(o["then_kind"]), dtype=str(o["dtype"]), device=str(o["device"])
    )
    then_answers = answer_with_confidence(
        Engine(large, task, max_new_tokens=max_new), prompt_list, batch_size=bs
    )
    outcome = cascade_outcome(
        task, prompt_list, first_answers, [a.output for a in then_answers], selection, source=source
    )
    data = build_cascade(
        task=task,
        source=source,
        n=len(prompt_list),
        first=small,
        then=large,
        outcome=outcome,
        confidences=[a.confidence for a in first_answers],
        threshold=threshold,
        share=share,
        measured=provenance(device=small.device, dtype=small.dtype, max_new_tokens=max_new, batch_size=bs),
    )
    try:
        write_cascade(out_path, data)
    except OSError as err:
        raise write_error(out_path, err, field="--output") from None
    q, q1, q2 = outcome.quality, outcome.first_quality, outcome.then_quality
    _say(
        f"escalated {selection.share:.1%} ({selection.count} of {len(prompt_list)}); quality {q.metric}: "
        f"cascade {q.value:.3f}, {small.name} {q1.value:.3f}, {large.name} {q2.value:.3f} (n={q.n})"
    )
    _say(f"wrote {out_path}")
