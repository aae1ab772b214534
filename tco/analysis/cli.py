"""Command-line front of decision analysis: plain functions with typer-annotated parameters.

tco/cli.py registers them: `app.command("compare")(compare)`, `app.command("sensitivity")(sensitivity)`,
`app.command("uncertainty")(uncertainty)`, `app.command("breakeven")(breakeven)`. Each prints a rich table,
or JSON/CSV with `--format`, to stdout or to `-o PATH`. Bad input gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from tco.errors import TcoError

ScenarioArg = Annotated[
    str | None, typer.Argument(help="Scenario file or shipped scenario name (default: the default scenario).")
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


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {message}", markup=False)
    return typer.Exit(2)


def _run(fn: Callable[[], dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    try:
        return fn()
    except TcoError as e:
        raise _fail(str(e)) from None
    except OSError as e:
        raise _fail(f"{e.strerror or e}: {getattr(e, 'filename', '')}") from None


def _cell(v: Any) -> str:
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


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
        console = Console(record=output is not None, width=200 if output is not None else None)
        for name, df in tables.items():
            cols = [c for c in columns.get(name, list(df.columns)) if c in df.columns]
            table = Table(title=f"{title}: {name.replace('_', ' ')}" if len(tables) > 1 else title)
            for c in cols:
                table.add_column(c, overflow="fold")
            for _, row in df[cols].iterrows():
                table.add_row(*(_cell(row[c]) for c in cols))
            console.print(table)
        if output is None:
            return
        text = console.export_text()
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as e:
        raise _fail(f"cannot write {output}: {e.strerror or e}") from None


def _load(scenario: str | None) -> Any:
    from tco.api import load_scenario

    return load_scenario(scenario)


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

    def go() -> dict[str, pd.DataFrame]:
        frame, _ = run_compare(_load(scenario), rank_by, quality_floor=quality_floor, slo_p95=slo_p95)
        return {"ranking": frame}

    tables = _run(go)
    key = tables["ranking"].attrs["key"]
    cols = [
        "rank",
        "option",
        "deployment",
        "region",
        "eligible",
        "best",
        key,
        "vs_baseline_pct",
        "tco_cost",
        "emissions_kg",
        "quality",
        "latency_p95_s",
        "procurement",
        "why_not",
    ]
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

    tables = _run(lambda: {"tornado": sensitivity_table(_load(scenario), option)})
    cols = [
        "option",
        "rank_tco",
        "input",
        "low_input",
        "high_input",
        "tco_cost_low",
        "tco_cost_high",
        "tco_cost_swing",
        "emissions_kg_low",
        "emissions_kg_high",
        "emissions_kg_swing",
        "rank_emissions",
    ]
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

    def go() -> dict[str, pd.DataFrame]:
        r = uncertainty_result(_load(scenario), samples, seed)
        return {"percentiles": r.percentiles(), "win_probabilities": r.win_probabilities()}

    tables = _run(go)
    _emit(tables, fmt, output, {}, "Uncertainty (Monte Carlo)")


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
        raise _fail("give both --a and --b, or neither")
    pair = (option_a, option_b) if option_a is not None and option_b is not None else None
    tables = _run(lambda: {"break_even": breakeven_table(_load(scenario), rank_by, pair, input_)})
    cols = ["input", "option_a", "option_b", "metric", "break_even", "better_below", "better_above"]
    _emit(tables, fmt, output, {"break_even": cols}, "Break-even")
