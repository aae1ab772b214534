"""Decision-analysis frames of a loaded scenario, for the CLI and for every report format.

>>> from tco.api import load_scenario
>>> from tco.analysis.tables import analysis_tables
>>> tables = analysis_tables(load_scenario("procurement"))
>>> tables["ranking"], tables["tornado"], tables["monte_carlo"], tables["win_probabilities"], tables["break_even"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from tco.analysis.breakeven import break_evens
from tco.analysis.compare import compare, rank_column, top_pair
from tco.analysis.compare import ranking as rank_options
from tco.analysis.montecarlo import MonteCarloResult, monte_carlo
from tco.analysis.tornado import tornado
from tco.errors import InputError
from tco.scenario.analysis_inputs import breakeven_bounds, tornado_bounds, uncertainty_inputs
from tco.scenario.load import LoadedScenario

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results


def sensitivity_table(loaded: LoadedScenario, options: list[str] | None = None) -> pd.DataFrame:
    """Tornado rows of every option (or of the options named)."""
    resolved = loaded.resolved
    bounds, per_option = tornado_bounds(loaded)
    opts = _pick(resolved.options, options, loaded.file)
    return tornado(opts, resolved.workload, resolved.finance, bounds, per_option)


def uncertainty_result(
    loaded: LoadedScenario, samples: int | None = None, seed: int | None = None
) -> MonteCarloResult:
    """Monte Carlo over the scenario's `uncertainty` section (the shipped default distributions and
    REPORT_SAMPLES samples when it has none)."""
    resolved = loaded.resolved
    u = uncertainty_inputs(loaded, samples, seed)
    return monte_carlo(
        resolved.options,
        resolved.workload,
        resolved.finance,
        u.shared,
        u.per_option,
        samples=u.samples,
        seed=u.seed,
    )


def breakeven_table(
    loaded: LoadedScenario,
    rank_by: str = "tco",
    pair: tuple[str, str] | None = None,
    inputs: list[str] | None = None,
    ranking: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Break-even of each input for a pair of options (default: the scenario's pair, else the top two)."""
    key = rank_column(rank_by)
    resolved = loaded.resolved
    bounds, spec_pair = breakeven_bounds(loaded)
    if inputs:
        unknown = [n for n in inputs if n not in bounds]
        if unknown:
            raise InputError(
                f"no break-even range for {unknown[0]!r}, expected one of {', '.join(bounds)} "
                "(add it under sensitivity.breakeven.inputs)",
                file=loaded.file,
                field="input",
            )
        bounds = {n: bounds[n] for n in inputs}
    chosen = pair or spec_pair
    if chosen is None:
        frame = ranking if ranking is not None else compare(loaded, rank_by)[0]
        chosen = top_pair(frame)
    if chosen is None:
        return pd.DataFrame(columns=["input", "break_even"])
    ids = [o.id for o in resolved.options]
    for oid in chosen:
        if oid not in ids:
            raise InputError(
                f"unknown option {oid!r}, expected one of {', '.join(ids)}", file=loaded.file, field="pair"
            )
    if chosen[0] == chosen[1]:
        raise InputError(
            f"expected two different options, got {chosen[0]!r} twice", file=loaded.file, field="pair"
        )
    return break_evens(resolved.options, resolved.workload, resolved.finance, bounds, chosen, key)


def analysis_tables(
    loaded: LoadedScenario, rank_by: str = "tco", *, results: Results | None = None
) -> dict[str, pd.DataFrame]:
    """Ranking, tornado, Monte Carlo percentiles, win probabilities and break-evens of a scenario
    (`results`: the scenario's, already evaluated, so that the ranking does not evaluate it again)."""
    if results is None:
        ranking, _ = compare(loaded, rank_by)
    else:
        w = loaded.spec.workload
        ranking = rank_options(
            results.summary,
            rank_by,
            baseline=results.baseline,
            slo=w.latency_slo_p95,
            quality_floor=w.quality_floor,
        )
    mc = uncertainty_result(loaded)
    return {
        "ranking": ranking,
        "tornado": sensitivity_table(loaded),
        "monte_carlo": mc.percentiles(),
        "win_probabilities": mc.win_probabilities(),
        "break_even": breakeven_table(loaded, rank_by, ranking=ranking),
    }


def _pick(options: list, names: list[str] | None, file: str) -> list:
    if not names:
        return options
    ids = [o.id for o in options]
    for n in names:
        if n not in ids:
            raise InputError(
                f"unknown option {n!r}, expected one of {', '.join(ids)}", file=file, field="option"
            )
    return [o for o in options if o.id in names]
