"""Step: the quality an option reaches on the workload's task: its own score, else its profile's."""

from __future__ import annotations

from tco.scenario.resolve.context import Context
from tco.scenario.schema import Option, Quality

# How a score was obtained, said in the assumptions when it is not the model's own published score
BASIS_WORDS = {
    "proxy": "proxy: another model's score stands in",
    "measured": "measured with tco measure",
}


def quality_label(q: Quality) -> str:
    """The assumption's name for a quality score: task, metric and, unless published, how it was obtained."""
    how = BASIS_WORDS.get(q.basis or "")
    return f"quality ({q.task}, {q.metric}; {how})" if how else f"quality ({q.task}, {q.metric})"


def quality(ctx: Context, opt: Option, found: Quality | None) -> Quality | None:
    """The option's quality score on the workload's task (the option's own score for that task overrides
    the profile's), recorded when there is one."""
    q = opt.quality_for(ctx.s.workload.task) or found
    if q is not None:
        ctx.rec.add(opt.id, quality_label(q), q.value, "", q.source, q.year)
    return q
