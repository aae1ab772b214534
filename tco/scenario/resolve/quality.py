"""Step: the quality an option reaches on the workload's task: its own score, else its profile's."""

from __future__ import annotations

from tco.scenario.resolve.context import Context
from tco.scenario.schema import Option, Quality


def quality(ctx: Context, opt: Option, found: Quality | None) -> Quality | None:
    """The option's quality score (the scenario's overrides the profile's), recorded when there is one."""
    q = opt.quality or found
    if q is not None:
        ctx.rec.add(opt.id, f"quality ({q.task}, {q.metric})", q.value, "", q.source, q.year)
    return q
