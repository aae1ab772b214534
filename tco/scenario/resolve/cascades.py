"""Step: the assumptions of the plan's cascades: the share each passes on and its quality, given in the
scenario or measured by `tco measure-cascade` (file, set size, confidence rule, threshold)."""

from __future__ import annotations

from collections.abc import Mapping

from tco.scenario.cascade import MeasuredCascade, cascade_terms, describe_measurement
from tco.scenario.resolve.context import Context


def record_cascades(ctx: Context, measured: Mapping[str, MeasuredCascade]) -> None:
    """One row for the escalated share and one for the quality of every cascade in `plan.cascades`."""
    plan = ctx.s.plan
    if plan is None:
        return
    for c in plan.cascades:
        terms = cascade_terms(c, measured)
        where = f"cascade {c.id} ({c.first} -> {c.then}, {c.task})"
        if terms.measured is not None:
            how = describe_measurement(terms.measured)
            ctx.rec.add(where, "escalated share", terms.share, "", how, None)
            q = terms.measured.result.quality
            ctx.rec.add(where, f"quality ({c.task}, {q.metric})", q.value, "", f"{how}; n={q.n} scored", None)
            continue
        ctx.rec.add(
            where, "escalated share", terms.share, "", c.source or "given in scenario plan.cascades", None
        )
        if terms.quality is not None:
            ctx.rec.add(
                where, f"quality ({c.task})", terms.quality, "", c.source or "given in scenario", None
            )
        else:
            ctx.rec.add(
                where,
                f"quality ({c.task})",
                "(1 - escalated) x q(first) + escalated x q(then)",
                "",
                "slm-tco: escalation at random (a lower bound for a confidence router), same metric only",
                None,
            )
