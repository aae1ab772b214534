"""Decision analysis: evaluation into frames, procurement ranking, sensitivity (tornado), Monte Carlo, break-even.

`analysis_tables(loaded)` gives every analysis frame of a scenario (see tco.analysis.tables). It is
imported on first use, so that importing one analysis module (say `tco.analysis.pareto` for a chart) does
not load all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tco.analysis.tables import analysis_tables

__all__ = ["analysis_tables"]


def __getattr__(name: str) -> Any:
    if name == "analysis_tables":
        from tco.analysis.tables import analysis_tables

        return analysis_tables
    raise AttributeError(f"module 'tco.analysis' has no attribute {name!r}")
