"""`tco data`: check the reference data a buyer relies on (logic in tco.scenario.price_check).

Exit codes of `tco data check`: 0 when no price is stale, unsourced or missing; 1 when some are (each
listed on stdout); 2 when the data cannot be read or an option is wrong (the command line's one error line,
tco.cli.console.fail).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated

import typer
from rich.table import Table

from tco.cli.console import fail, friendly, out
from tco.errors import TcoError

data_app = typer.Typer(help="Check the shipped reference data (prices, their dates and sources).")

_YM = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@data_app.callback()
def _data() -> None:
    """Check the shipped reference data (prices, their dates and sources)."""


@data_app.command("check")
@friendly
def check(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Month the prices are judged at, YYYY-MM. Default: this month."),
    ] = None,
    max_age: Annotated[
        float, typer.Option("--max-age", help="Months after which a price is stale.", min=0)
    ] = 12.0,
    all_tiers: Annotated[
        bool, typer.Option("--all-tiers", help="Also list every tier without a price.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of a table.")] = False,
) -> None:
    """List every stale, unsourced or missing price (exit 1 when there is one, 0 when there is none).

    Missing means no price in a default tier (purchase for on-prem, gpu-cloud for cloud); a part with no
    gpu-cloud price but a hyperscaler one is listed as `fallback` (cloud options use the hyperscaler
    price) and does not fail the check.
    """
    from tco.scenario.price_check import check_prices, failing
    from tco.scenario.repository import load_repository

    month = as_of or dt.date.today().strftime("%Y-%m")
    if not _YM.match(month):
        raise fail(f"--as-of: expected a month as YYYY-MM, got {month!r}")
    try:
        repo = load_repository()
    except TcoError as e:
        raise fail(str(e)) from None
    findings = check_prices(repo.hardware, as_of=month, max_age_months=max_age, all_tiers=all_tiers)
    bad = failing(findings)
    counts = {k: sum(f.kind == k for f in findings) for k in ("stale", "unsourced", "missing", "fallback")}
    if as_json:
        doc = {
            "as_of": month,
            "max_age_months": max_age,
            "profiles": str(repo.root),
            "counts": counts,
            "findings": [f.__dict__ for f in findings],
        }
        out.print(json.dumps(doc, indent=2), highlight=False)
    else:
        table = Table(title=f"prices judged at {month} (stale after {max_age:g} months), {repo.root}")
        for col in ("kind", "hardware", "tier", "detail"):
            table.add_column(col)
        for f in findings:
            table.add_row(f.kind, f.hardware, f.tier, f.detail)
        out.print(table)
        out.print(
            f"{counts['stale']} stale, {counts['unsourced']} unsourced, {counts['missing']} missing "
            f"in a default tier, {counts['fallback']} using the hyperscaler fallback",
            highlight=False,
        )
    if bad:
        raise typer.Exit(1)  # a result, not an error: the findings are listed above
