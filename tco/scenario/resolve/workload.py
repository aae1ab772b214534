"""Step: the workload every option answers: tokens per query in and out.

The workload's own `tokens_in` / `tokens_out` when given; otherwise the baseline's native length (its
profile's output tokens, or its API offering's default), then the other options' in order, then
`DEFAULT_TOKENS`. Generative profiles scale energy, throughput and latency to that length and API options are
priced at it, so every option of a scenario serves the same requests. The answer length is then a model's
own where an option says so (`tokens_out` on the option: a count, or `from profile`): the workload's is the
default, not a constraint (`option_tokens_out`).
"""

from __future__ import annotations

import statistics

from tco.errors import ScenarioError
from tco.scenario.resolve.context import Context
from tco.scenario.resolve.operating_point import DEFAULT_TOKENS
from tco.scenario.schema import Option


def _native(ctx: Context, opt: Option, which: str) -> tuple[float, str] | None:
    """An option's own tokens per query (`in` or `out`) and where they come from, if it has any."""
    if opt.deployment == "api":
        offer = ctx.repo.apis.get(opt.api or "")
        v = None if offer is None else (offer.tokens_in if which == "in" else offer.tokens_out)
        return (float(v), f"API offering {offer.id}") if v is not None and offer is not None else None
    profile = ctx.repo.models.get(opt.profile or "")
    if profile is None or profile.model.kind == "classifier":
        return None
    field = "input_tokens" if which == "in" else "output_tokens"
    values = [getattr(p, field) for p in profile.ok_points() if getattr(p, field)]
    if not values:
        if which == "in":  # the benchmark's prompts it was measured on, where its provenance names them
            from tco.scenario.resolve.operating_point import dataset_input_tokens

            known = dataset_input_tokens(ctx, profile)
            if known is not None:
                return known[0], f"profile {profile.id}, measured on {known[1]}"
        return None
    return float(statistics.median(values)), f"profile {profile.id} (median over its batch sizes)"


def workload_tokens(ctx: Context) -> None:
    """Set `ctx.tokens_in` and `ctx.tokens_out` and record them once for all options."""
    w = ctx.s.workload
    options = list(ctx.s.options)
    base = next((o for o in options if o.id == ctx.s.baseline), options[0])
    ordered = [base, *(o for o in options if o is not base)]
    found: dict[str, tuple[float, str]] = {}
    for which, given in (("in", w.tokens_in), ("out", w.tokens_out)):
        if given is not None:
            found[which] = (float(given), "scenario workload")
            continue
        hit = next((n for o in ordered if (n := _native(ctx, o, which)) is not None), None)
        if hit is not None:
            found[which] = (hit[0], f"{hit[1]}: the workload gives none; every option answers with it")
        else:
            found[which] = (DEFAULT_TOKENS, "slm-tco default: neither the workload nor any option gives it")
    ctx.tokens_in, ctx.tokens_out = found["in"][0], found["out"][0]
    ctx.rec.add("(all)", "tokens per query in", ctx.tokens_in, "token", found["in"][1], None)
    ctx.rec.add("(all)", "tokens per query out", ctx.tokens_out, "token", found["out"][1], None)


def option_tokens_out(ctx: Context, opt: Option, index: int) -> tuple[float, str] | None:
    """The option's own answer length and where it comes from, or None for the workload's.

    A count is the option's; `from profile` is the median output tokens over its profile's points (an API
    offering's default length for an API option); a mapping gives one of those per task (the workload's
    `task`; a task it does not list: None); a classifier answers with no tokens and may not set one.
    """
    given: float | str | None
    field = f"options[{index}].tokens_out"
    whose = "the option's tokens_out"
    if isinstance(opt.tokens_out, dict):  # per task: this task's, else the task's own length
        task = ctx.s.workload.task
        given = opt.tokens_out.get(task)
        field, whose = f"{field}.{task}", f"the option's tokens_out for task {task}"
    else:
        given = opt.tokens_out
    if given is None:
        return None
    if opt.deployment != "api":
        profile = ctx.repo.models.get(opt.profile or "")
        if profile is not None and profile.model.kind == "classifier":
            raise ScenarioError(
                f"profile {profile.id} is a classifier, which answers with a label, not tokens: remove tokens_out",
                file=ctx.file,
                field=field,
            )
    if given == "from profile":
        own = _native(ctx, opt, "out")
        if own is None:
            what = f"API offering {opt.api}" if opt.deployment == "api" else f"profile {opt.profile}"
            raise ScenarioError(
                f"'from profile' but {what} records no output tokens per query; give a number",
                file=ctx.file,
                field=field,
            )
        return own[0], f"{own[1]}: this option's own answer length"
    return float(given), f"{whose}: this model's own answer length"
