"""Command-line front of decision analysis: plain functions with typer-annotated parameters.

tco/cli.py registers them: `app.command("compare")(compare)`, `app.command("sensitivity")(sensitivity)`,
`app.command("uncertainty")(uncertainty)`, `app.command("breakeven")(breakeven)`, `app.command("curve")(curve)`. Each prints a rich table,
or JSON/CSV with `--format`, to stdout or to `-o PATH`. Bad input gives one line on stderr and exit code 2
(`tco.cli.console.fail`).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from tco.cli.console import fail, note
from tco.errors import TcoError
from tco.scenario.yamlio import check_writable, write_atomic, write_error

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Scenario file or shipped scenario name. Default: portfolio (the task portfolio)."),
]
RankBy = Annotated[
    str,
    typer.Option(
        "--rank-by", help="tco, npv, levelised, emissions, g-per-query, cost-per-correct, g-per-correct."
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]


def _run(fn: Callable[[], dict[str, pd.DataFrame]], output: Path | None = None) -> dict[str, pd.DataFrame]:
    try:
        if output is not None:  # before the analysis: a bad path fails at once, not after minutes
            check_writable(output, field="--output")
        return fn()
    except TcoError as e:
        raise fail(str(e)) from None
    except OSError as e:
        raise fail(f"{e.strerror or e}: {getattr(e, 'filename', '')}") from None


# Headers people read in the terminal view; json and csv keep the column names.
LABELS: dict[str, str] = {
    "rank": "#",
    "option": "option",
    "deployment": "deploy",
    "eligible": "eligible",
    "best": "best",
    "vs_baseline_pct": "vs base %",
    "vs_baseline_x": "vs baseline",
    "tco_cost": "TCO",
    "npv_cost": "NPV",
    "emissions_kg": "kgCO2e",
    "quality": "quality",
    "latency_p95_s": "p95 s",
    "procurement": "accelerators",
    "why_not": "why not",
    "rank_tco": "#",
    "input": "input",
    "low_input": "low",
    "high_input": "high",
    "tco_cost_low": "TCO at low",
    "tco_cost_high": "TCO at high",
    "tco_cost_swing": "TCO swing",
    "npv_cost_swing": "NPV swing",
    "emissions_kg_swing": "kgCO2e swing",
    "break_even": "break-even",
    "better_below": "better below",
    "better_above": "better above",
    "option_a": "option A",
    "option_b": "option B",
    "metric": "measure",
    "p_a_cheaper": "P(A cheaper)",
    "p_a_lower_emissions": "P(A emits less)",
}


def _cell(v: Any) -> str:
    from tco.presentation.format import no_exponent, plain

    if v is None or v is pd.NA:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return plain(v) if abs(v) < 1e4 else f"{v:,.0f}"
    return no_exponent(str(v))


def _ratio_cell(v: Any) -> str:
    """A ratio to the baseline in the one notation of the app and the reports: `×0.52`."""
    from tco.presentation.format import ratio

    return "" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else ratio(float(v))


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _json_value(v.item())
    return v


def _emit(
    tables: dict[str, pd.DataFrame],
    fmt: OutputFormat,
    output: Path | None,
    columns: dict[str, list[str]],
    title: str,
) -> None:
    if fmt == OutputFormat.json:
        data = {
            name: [{k: _json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]
            for name, df in tables.items()
        }
        text = json.dumps(data if len(data) > 1 else next(iter(data.values())), indent=2)
    elif fmt == OutputFormat.csv:
        parts = []
        for name, df in tables.items():
            body = df.to_csv(index=False)
            parts.append(f"# {name}\n{body}" if len(tables) > 1 else body)
        text = "\n".join(parts)
    else:
        # a pipe or file gets long lines rather than cells folded to rich's 80-column default
        wide = output is not None or not sys.stdout.isatty()
        console = Console(record=output is not None, width=200 if wide else None, markup=False)
        for name, df in tables.items():
            cols = [c for c in columns.get(name, list(df.columns)) if c in df.columns]
            table = Table(title=f"{title}: {name.replace('_', ' ')}" if len(tables) > 1 else title)
            for i, c in enumerate(cols):
                # numbers are never split across lines (a narrow terminal wraps the words of text columns)
                number = pd.api.types.is_numeric_dtype(df[c]) or c.startswith("p_")
                table.add_column(
                    LABELS.get(c, c.replace("_", " ")), overflow="fold", no_wrap=i == 0 or number
                )
            for _, row in df[cols].iterrows():
                table.add_row(*(_ratio_cell(row[c]) if c.endswith("_x") else _cell(row[c]) for c in cols))
            console.print(table)
        if output is None:
            return
        text = console.export_text()
    if output is None:
        typer.echo(text)
        return
    try:
        write_atomic(output, text if text.endswith("\n") else text + "\n")
    except OSError as e:  # a full disk, or the folder went away while the analysis ran
        raise fail(str(write_error(output, e, field="--output"))) from None


def _load(scenario: str | None) -> Any:
    """The scenario; on a task portfolio, a note on stderr that these analyses are of each option alone."""
    from tco.api import load_scenario
    from tco.presentation.plan import has_tasks, single_option_scope

    loaded = load_scenario(scenario)
    if has_tasks(loaded):
        note(f"note: {single_option_scope(loaded)}; `tco plan` routes the tasks")
    return loaded


def _check_flags(quality_floor: float | None, slo_p95: str | None) -> None:
    """Bad flag values are blamed on the flag, not on the scenario file they would be written into."""
    from tco.errors import TcoError
    from tco.scenario.units import parse

    if quality_floor is not None and not 0.0 <= quality_floor <= 1.0:
        raise fail(f"--quality-floor: got {quality_floor:g}, expected a score from 0 to 1")
    if slo_p95 is not None:
        try:
            parse(slo_p95, "s", minimum=0.0)
        except TcoError as e:
            raise fail(
                f"--slo-p95: got {slo_p95!r}, expected a duration such as 2s or 500 ms ({e})"
            ) from None


def no_eligible_note(frame: pd.DataFrame) -> str:
    """Why no option is eligible: how many miss each requirement, and how close the best ones come."""
    why = [str(w) for w in frame["why_not"]]
    n = len(frame)
    slo = sum("latency SLO" in w for w in why)
    floor = sum("quality" in w for w in why)
    short = sum("fleet" in w for w in why)
    parts = []
    if slo:
        best = pd.to_numeric(frame["latency_p95_s"], errors="coerce").min()
        parts.append(f"{slo} of {n} miss the latency SLO (fastest p95: {best:.3g} s)")
    if floor:
        q = pd.to_numeric(frame["quality"], errors="coerce").max()
        best_q = "none has a score" if pd.isna(q) else f"best quality: {q:.3g}"
        parts.append(f"{floor} of {n} are below the quality floor or have no score ({best_q})")
    if short:
        parts.append(f"{short} of {n} have a fixed fleet too small for the load")
    return (
        "note: no option is eligible: "
        + "; ".join(parts)
        + ". Relax --slo-p95 or --quality-floor, or see `why not` per option."
    )


def compare(
    scenario: ScenarioArg = None,
    rank_by: RankBy = "tco",
    quality_floor: Annotated[
        float | None, typer.Option("--quality-floor", help="Override the workload's quality floor (0..1).")
    ] = None,
    slo_p95: Annotated[
        str | None, typer.Option("--slo-p95", help="Override the latency SLO, e.g. 2s.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutOpt = None,
) -> None:
    """Rank every option: eligibility (SLO, quality floor), cheapest and lowest-emission, GPUs, vs baseline."""
    from tco.analysis.compare import compare as run_compare

    _check_flags(quality_floor, slo_p95)

    def go() -> dict[str, pd.DataFrame]:
        frame, _ = run_compare(_load(scenario), rank_by, quality_floor=quality_floor, slo_p95=slo_p95)
        return {"ranking": frame}

    tables = _run(go, output)
    if fmt == OutputFormat.table and not tables["ranking"]["eligible"].astype(bool).any():
        note(no_eligible_note(tables["ranking"]))
    key = tables["ranking"].attrs["key"]
    # the terminal keeps what a reader compares; json and csv carry every column
    cols = [
        "rank",
        "option",
        "eligible",
        "best",
        key,
        "vs_baseline_x",
        "emissions_kg",
        "quality",
        "procurement",
        "why_not",
    ]
    if fmt != OutputFormat.table:
        cols = list(tables["ranking"].columns)
    _emit(tables, fmt, output, {"ranking": list(dict.fromkeys(cols))}, f"Options ranked by {rank_by}")


def sensitivity(
    scenario: ScenarioArg = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="Only these options (repeatable).")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutOpt = None,
) -> None:
    """Tornado: each input at its low and high value, ranked by effect on TCO and on emissions, per option."""
    from tco.analysis.tables import sensitivity_table
    from tco.analysis.tornado import left_out_note, moving_inputs

    names: dict[str, str] = {}

    def go() -> dict[str, pd.DataFrame]:
        loaded = _load(scenario)
        names.update(_option_names(loaded))
        return {"tornado": sensitivity_table(loaded, option)}

    tables = _run(go, output)
    tables["tornado"], dropped = moving_inputs(tables["tornado"])
    if dropped:
        note("note: " + left_out_note(dropped))
    cols = [
        "option",
        "rank_tco",
        "input",
        "low_input",
        "high_input",
        "tco_cost_low",
        "tco_cost_high",
        "npv_cost_swing",  # the discount rate moves only this one
        "emissions_kg_swing",
    ]
    if fmt != OutputFormat.table:
        cols = list(tables["tornado"].columns)
    else:  # words for people: the input's label, the option's name; json and csv keep the ids
        t = tables["tornado"].copy()
        if "label" in t.columns:
            t["input"] = [_capital(str(v)) for v in t["label"]]
        tables = {"tornado": in_words(t, names)}
    _emit(tables, fmt, output, {"tornado": cols}, "Sensitivity (tornado)")


def uncertainty(
    scenario: ScenarioArg = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            "-n",
            min=2,
            max=1_000_000,
            help="Monte Carlo samples (default: the scenario's, else 2000).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Random seed (default: the scenario's, else 0).")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutOpt = None,
) -> None:
    """Monte Carlo: P10/P50/P90 of TCO, cost per query and emissions; probability that each option beats another."""
    from tco.analysis.tables import uncertainty_result

    names: dict[str, str] = {}

    def go() -> dict[str, pd.DataFrame]:
        loaded = _load(scenario)
        names.update(_option_names(loaded))
        r = uncertainty_result(loaded, samples, seed)
        percentiles = r.percentiles()
        percentiles.attrs["from_defaults"] = loaded.spec.uncertainty is None
        return {"percentiles": percentiles, "win_probabilities": r.win_probabilities()}

    tables = _run(go, output)
    if fmt == OutputFormat.table and tables["percentiles"].attrs.get("from_defaults"):
        note(
            "note: the scenario has no `uncertainty` section; using the default distributions of "
            "profiles/methods/sensitivity.yaml"
        )
    if fmt == OutputFormat.table:  # words and percentages for people; json and csv keep ids and fractions
        wins = tables["win_probabilities"].copy()
        for c in wins.columns:
            if c.startswith("p_"):
                wins[c] = [percent(float(v)) if isinstance(v, float) else v for v in wins[c]]
        tables = {
            "percentiles": in_words(tables["percentiles"], names),
            "win_probabilities": in_words(wins, names),
        }
    _emit(tables, fmt, output, {}, "Uncertainty (Monte Carlo)")


def _option_names(loaded: Any) -> dict[str, str]:
    """Option id -> the name people read (built from the option's current model, hardware and region)."""
    return {o.id: o.name for o in loaded.resolved.options}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def percent(p: float) -> str:
    """A probability as a percentage: `67.5 %` (empty when not a number)."""
    return "" if math.isnan(p) else f"{100 * p:.3g} %"


def breakeven(
    scenario: ScenarioArg = None,
    rank_by: RankBy = "tco",
    input_: Annotated[
        list[str] | None,
        typer.Option("--input", help="Only these inputs (repeatable), e.g. queries_per_day."),
    ] = None,
    option_a: Annotated[
        str | None, typer.Option("--a", help="First option of the pair (default: the best-ranked).")
    ] = None,
    option_b: Annotated[
        str | None, typer.Option("--b", help="Second option of the pair (default: the runner-up).")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutOpt = None,
) -> None:
    """Break-even: the demand, electricity price or carbon price at which two options swap rank."""
    from tco.analysis.tables import breakeven_table

    if (option_a is None) != (option_b is None):
        raise fail("give both --a and --b, or neither")
    pair = (option_a, option_b) if option_a is not None and option_b is not None else None
    names: dict[str, str] = {}

    def go() -> dict[str, pd.DataFrame]:
        loaded = _load(scenario)
        names.update({o.id: o.name for o in loaded.resolved.options})
        return {"break_even": breakeven_table(loaded, rank_by, pair, input_)}

    tables = _run(go, output)
    cols = ["input", "option_a", "option_b", "metric", "break_even", "better_below", "better_above"]
    if fmt == OutputFormat.table:  # words for people; json and csv keep the ids
        tables = {"break_even": in_words(tables["break_even"], names)}
    _emit(tables, fmt, output, {"break_even": cols}, "Break-even")


OPTION_COLUMNS = ("option", "option_a", "option_b", "better_below", "better_above")
FIELD_COLUMNS = ("input", "metric")


def in_words(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """An analysis table for the terminal: option ids as their names, input and measure ids in words from the
    one label table (tco.presentation.labels)."""
    from tco.presentation.labels import label

    out = frame.copy()
    for c in OPTION_COLUMNS:
        if c in out.columns:
            out[c] = [names.get(str(v), v) if isinstance(v, str) else v for v in out[c]]
    for c in FIELD_COLUMNS:
        if c in out.columns:
            out[c] = [label(str(v)) if isinstance(v, str) else v for v in out[c]]
    return out


def curve(
    scenario: ScenarioArg = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="Only these options (repeatable; default: all).")
    ] = None,
    interactivity: Annotated[
        bool,
        typer.Option(
            "--interactivity",
            help="Cost per 1M output tokens against tokens/s per user, one row per concurrency of each "
            "hosted option's sweep (a replica at full load there), instead of the load curve.",
        ),
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
    output: OutOpt = None,
) -> None:
    """Load curve: cost per 1M output tokens and per 1k queries, and energy per query, from 1 % to 100 % of
    one replica's capacity (an API's are flat); with --interactivity, cost against tokens/s per user."""
    if interactivity:
        _interactivity(scenario, option, fmt, output)
        return
    from tco.analysis.curve import load_curves

    tables = _run(lambda: {"load_curve": load_curves(_load(scenario).resolved, option)}, output)
    frame = tables["load_curve"]
    cur = frame.attrs["currency"]
    if fmt == OutputFormat.table:
        frame = frame.rename(
            columns={
                "load_pct": "load %",
                "cost_per_1m_tokens": f"{cur}/1M tokens",
                "cost_per_1k_queries": f"{cur}/1k queries",
                "wh_per_query": "Wh/query",
                "power_per_replica_w": "W/replica",
                "latency_p95_s": "p95 s",
            }
        )
        tables = {"load_curve": frame}
    _emit(tables, fmt, output, {}, "Load curve (one replica at a steady load, over the horizon)")


def _interactivity(
    scenario: str | None, option: list[str] | None, fmt: OutputFormat, output: Path | None
) -> None:
    from tco.analysis.curve import interactivity_curves

    tables = _run(lambda: {"interactivity": interactivity_curves(_load(scenario).resolved, option)}, output)
    frame = tables["interactivity"]
    cur = frame.attrs["currency"]
    if fmt == OutputFormat.table:
        frame = frame.drop(columns=["deployment"]).rename(
            columns={
                "concurrency": "concurrency",
                "tokens_per_second_per_user": "tok/s/user",
                "output_tokens_per_second_per_accelerator": "out tok/s/GPU",
                "cost_per_1m_tokens": f"{cur}/1M tokens",
                "wh_per_query": "Wh/query",
                "ttft_p95_s": "TTFT p95 s",
                "tpot_p95_s": "TPOT p95 s",
                "latency_p95_s": "p95 s",
                "capacity": "capacity",
            }
        )
        tables = {"interactivity": frame}
    a = frame.attrs
    _emit(
        tables,
        fmt,
        output,
        {},
        f"Cost vs interactivity ({a.get('tokens_in', float('nan')):g} tokens in, {a.get('tokens_out', float('nan')):g} out; "
        "one replica at full load at each concurrency, over the horizon)",
    )
