"""`tco diff A B`: two scenarios (two versions of a budget) side by side: which inputs differ and how the
results move.

A plain function with typer-annotated parameters, registered by tco/cli/main.py. Both scenarios are computed
once (`tco.analysis.view.compute_view`), compared by `tco.analysis.diff.diff_views` and shown by
`tco.presentation.diff`; bad input gives one line on stderr and exit code 2 (`tco.cli.console.friendly`).
"""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer

from tco.cli.console import out

ScenarioA = Annotated[str, typer.Argument(help="Scenario A (the reference): a YAML file or a shipped name.")]
ScenarioB = Annotated[str, typer.Argument(help="Scenario B (the what-if): a YAML file or a shipped name.")]


def diff(a: ScenarioA, b: ScenarioB) -> None:
    """Compare two scenarios: the inputs that differ (by field path) and how each option's and the plan's
    costs and emissions move (B against A, absolute and in %)."""
    from tco.analysis.diff import diff_views
    from tco.analysis.view import compute_view
    from tco.presentation.diff import WIDTH, terminal_items
    from tco.scenario.load import load_scenario

    loaded_a, loaded_b = load_scenario(a), load_scenario(b)  # both checked before any computation
    d = diff_views(compute_view(loaded_a), compute_view(loaded_b))
    for tag, loaded in (("A", loaded_a), ("B", loaded_b)):
        line = f"{tag}: {loaded.name} ({loaded.file})"
        out.print(
            textwrap.fill(
                line, WIDTH, subsequent_indent="   ", break_long_words=False, break_on_hyphens=False
            ),
            highlight=False,
        )
    for item in terminal_items(d):
        out.print(item, highlight=False)
