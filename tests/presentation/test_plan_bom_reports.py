"""The plan's bill of materials in the md, html, csv and xlsx reports: each format's rows are the engine's
`PortfolioPlans.bill_of_materials` (and `runner_up_bill`) of `plan_portfolio` on the shipped portfolio, cell
for cell, with the totals per GPU type and region under them; a scenario without hosted fleets has none."""

from __future__ import annotations

import csv
import re
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from tco.analysis.plan_bom import BomRow
from tco.analysis.portfolio import PortfolioPlans
from tco.api import Results, evaluate, load_scenario, plan_portfolio, render_report, write_report
from tco.presentation.plan import search_lines
from tco.presentation.reports.content import BOM_RUNNER_UP_TITLE, BOM_TITLE

HEADS = [
    "GPU type",
    "Region",
    "Fleet",
    "Paid as",
    "Price tier",
    "GPUs",
    "Servers",
    "Power provisioned (kW)",
    "Bought or rented",
]


@pytest.fixture(scope="module")
def portfolio() -> Results:
    return evaluate(load_scenario("portfolio"))


@pytest.fixture(scope="module")
def plans() -> PortfolioPlans:
    res = plan_portfolio(load_scenario("portfolio"))
    # the shipped portfolio buys one fleet and rents three; its runner-up has a bill of its own
    assert {r.pay for r in res.bill_of_materials} == {"buy", "on-demand"}
    assert res.runner_up is not None and res.runner_up_bill
    return res


def _bought_or_rented(r: BomRow) -> str:
    """What the bill says is bought or rented, restated from the README's rule for each way to pay."""
    if r.pay == "buy":
        return ", ".join(f"month {m}: {n}" for m, n in r.purchases)
    if r.pay == "committed":
        above = f", plus {r.gpu_months:,.0f} GPU-months on demand above it" if r.gpu_months > 0 else ""
        return f"{r.committed_gpus} GPUs for {r.term_months:g}-month terms{above}"
    assert r.pay in ("on-demand", "spot")
    return f"{r.gpu_months:,.0f} GPU-months rented"


def _expected(plans: PortfolioPlans, rows: tuple[BomRow, ...]) -> list[tuple[object, ...]]:
    """(GPU type, region, fleet name, paid as, tier, GPUs, servers, kW provisioned, bought or rented)."""
    return [
        (
            r.gpu,
            r.region,
            plans.names[r.deployment],
            r.pay,
            r.tier,
            r.gpus,
            r.servers,
            r.kw_provisioned,
            _bought_or_rented(r),
        )
        for r in rows
    ]


def _same_shown(shown: list[list[str]], want: list[tuple[object, ...]]) -> None:
    """Formatted cells (md, html) against the engine's rows: text exact, counts exact, kW to the 4
    significant digits a report prints."""
    assert len(shown) == len(want)
    for cells, row in zip(shown, want, strict=True):
        assert len(cells) == len(HEADS)
        assert cells[:5] == list(row[:5])
        assert [int(x.replace(",", "")) for x in cells[5:7]] == list(row[5:7])
        assert float(cells[7]) == pytest.approx(row[7], rel=5e-4)
        assert cells[8] == row[8]


def _md_table(md: str, title: str) -> tuple[list[str], list[list[str]]]:
    block = md.split(f"### {title}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in block]
    return cells[0], cells[2:]


def test_the_markdown_report_shows_the_bill_of_materials(portfolio: Results, plans: PortfolioPlans) -> None:
    md = render_report(portfolio, "md", analysis={}).decode("utf-8")
    heads, rows = _md_table(md, BOM_TITLE)
    assert heads == HEADS
    _same_shown(rows, _expected(plans, plans.bill_of_materials))
    heads, rows = _md_table(md, BOM_RUNNER_UP_TITLE)
    assert heads == HEADS
    _same_shown(rows, _expected(plans, plans.runner_up_bill))
    # under the bill: the totals per GPU type and region and the runner-up's cost
    lines = search_lines(plans)
    assert len([x for x in lines if x.startswith("bill of materials, ")]) == len(plans.bill_totals) == 3
    for line in lines:
        assert f"- {line}" in md
    # in the task plan section, before how the plans are found
    assert md.index("## Task plan") < md.index(BOM_TITLE) < md.index("### How the plans are found and priced")


def _html_table(html: str, title: str) -> tuple[list[str], list[list[str]]]:
    block = html.split(f"<h3>{title}</h3>", 1)[1].split("</table>", 1)[0]
    heads = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", block)]
    rows = [
        [unescape(x) for x in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr>(.*?)</tr>", block)
    ]
    return heads, [r for r in rows if r]


def test_the_html_report_shows_the_bill_of_materials(portfolio: Results, plans: PortfolioPlans) -> None:
    html = render_report(portfolio, "html", analysis={}).decode("utf-8")
    heads, rows = _html_table(html, BOM_TITLE)
    assert heads == HEADS
    _same_shown(rows, _expected(plans, plans.bill_of_materials))
    heads, rows = _html_table(html, BOM_RUNNER_UP_TITLE)
    _same_shown(rows, _expected(plans, plans.runner_up_bill))
    for line in search_lines(plans):
        assert f"<li>{line}</li>" in unescape(html)


CSV_FIELDS = [
    "gpu_type",
    "region",
    "option",
    "fleet",
    "pay",
    "price_tier",
    "gpus",
    "servers",
    "kw_provisioned [kW]",
    "bought_or_rented",
    "rented_gpu_months [GPU-month]",
    "committed_gpus",
    "term_months [month]",
]


def _same_csv(out: Path, plans: PortfolioPlans) -> None:
    """plan_bom.csv and plan_bom_runner_up.csv against the engine's rows, exact (a CSV keeps full precision),
    and the totals and runner-up lines as the `plan_bom` rows of scenario.csv."""
    for stem, rows in (("plan_bom", plans.bill_of_materials), ("plan_bom_runner_up", plans.runner_up_bill)):
        with (out / f"{stem}.csv").open() as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == CSV_FIELDS
            got = list(reader)
        assert [r["option"] for r in got] == [r.deployment for r in rows]
        written = [
            (
                r["gpu_type"],
                r["region"],
                r["fleet"],
                r["pay"],
                r["price_tier"],
                int(r["gpus"]),
                int(r["servers"]),
                float(r["kw_provisioned [kW]"]),
                r["bought_or_rented"],
            )
            for r in got
        ]
        assert written == _expected(plans, rows)
        numbers = [
            (float(r["rented_gpu_months [GPU-month]"]), int(r["committed_gpus"]), r["term_months [month]"])
            for r in got
        ]
        assert numbers == [
            (b.gpu_months, b.committed_gpus, f"{b.term_months!r}" if b.pay == "committed" else "")
            for b in rows
        ]
    scenario = list(csv.DictReader((out / "scenario.csv").open()))
    assert [r["value"] for r in scenario if r["key"] == "plan_bom"] == search_lines(plans)


def test_the_csv_report_writes_the_bill_of_materials_at_full_precision(
    portfolio: Results, plans: PortfolioPlans, tmp_path: Path
) -> None:
    _same_csv(write_report(portfolio, "csv", tmp_path / "rep", analysis={}), plans)


def test_a_searched_plan_bills_committed_and_spot_gpus_in_csv_and_markdown(tmp_path: Path) -> None:
    loaded = load_scenario("melange-search")
    plans = plan_portfolio(loaded)
    assert {r.pay for r in plans.bill_of_materials} == {"committed", "spot"}
    results = evaluate(loaded)
    _same_csv(write_report(results, "csv", tmp_path / "rep", analysis={}), plans)
    md = render_report(results, "md", analysis={}).decode("utf-8")
    for title, bill in ((BOM_TITLE, plans.bill_of_materials), (BOM_RUNNER_UP_TITLE, plans.runner_up_bill)):
        heads, rows = _md_table(md, title)
        assert heads == HEADS
        _same_shown(rows, _expected(plans, bill))
    # what the catalogue search left out, and why, under the bill
    assert plans.search_left_out
    for why in plans.search_left_out:
        assert f"- left out: {why}" in md


def _xlsx_table(rows: list[tuple[object, ...]], title: str) -> tuple[list[object], list[tuple[object, ...]]]:
    start = next(i for i, row in enumerate(rows) if row[0] == title)
    heads = [h for h in rows[start + 1] if h is not None]
    body = []
    for row in rows[start + 2 :]:
        if row[0] is None:
            break
        body.append(tuple(row[: len(heads)]))
    return heads, body


def test_the_xlsx_plan_sheet_holds_the_bill_of_materials_as_engine_values(
    portfolio: Results, plans: PortfolioPlans, tmp_path: Path
) -> None:
    path = write_report(portfolio, "xlsx", tmp_path / "rep.xlsx", analysis={})
    rows = list(openpyxl.load_workbook(path)["Plan"].iter_rows(values_only=True))
    for title, bill in ((BOM_TITLE, plans.bill_of_materials), (BOM_RUNNER_UP_TITLE, plans.runner_up_bill)):
        heads, body = _xlsx_table(rows, title)
        assert heads == HEADS
        want = _expected(plans, bill)
        # static engine values: exact, but for the 15 significant digits a workbook stores of a float
        assert [row[:7] + row[8:] for row in body] == [row[:7] + row[8:] for row in want]
        assert [row[7] for row in body] == pytest.approx([row[7] for row in want], rel=1e-14)
    first = [row[0] for row in rows]
    at = first.index("Bill of materials: totals, runner-up and search")
    assert first[at + 1 : at + 1 + len(search_lines(plans))] == search_lines(plans)
    assert first.index(BOM_TITLE) < at < first.index("Plan over time")


def test_a_scenario_without_a_plan_has_no_bill_of_materials(tmp_path: Path) -> None:
    results = evaluate(load_scenario("slm-vs-llm"))
    assert "Bill of materials" not in render_report(results, "md", analysis={}).decode("utf-8")
    out = write_report(results, "csv", tmp_path / "rep", analysis={})
    assert not list(out.glob("plan_bom*.csv"))
