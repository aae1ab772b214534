"""Decision analysis: procurement ranking, option grids, sensitivity (tornado), Monte Carlo and break-even.

`analysis_tables(loaded)` gives every analysis frame of a scenario (see tco.analysis.tables). It is
imported on first use: tco.schema imports tco.analysis.schema, so this package must not import tco.api
(and through it tco.schema) when it is first loaded.
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
