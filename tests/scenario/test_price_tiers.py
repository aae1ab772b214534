"""Price tiers (README "Price tiers"): which tier an option pays, how the old fields map onto tiers, stale
prices in the assumptions, the (hardware, tier) menu and `tco data check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tco.analysis.evaluate import Results, evaluate
from tco.cli.main import run
from tco.errors import InputError, ScenarioError
from tco.scenario import cache
from tco.scenario.load import scenario_from_dict
from tco.scenario.price_check import check_prices, failing
from tco.scenario.repository import PROFILES_ENV, Repository, load_repository
from tco.scenario.resolve.prices import months_between, priced_tiers

TEST_PROFILES = Path(__file__).resolve().parents[1] / "data" / "profiles"

# A GPU with a price in most tiers (round numbers) and one with only a hyperscaler price, beside the test GPU.
TIERED = """
  - id: tiergpu
    name: Tiered GPU
    type: gpu
    memory: 80 GB
    power: {max: 500 W, idle: 50 W, source: test fixture, year: 2026}
    prices:
      purchase: {price: 10000 USD, date: 2026-01, includes: GPU only, source: test fixture}
      owner: {price: 1 USD/h, date: 2026-01, includes: everything, source: test fixture}
      hyperscaler: {price: 5 USD/h, date: 2026-01, includes: host, source: test fixture}
      hyperscaler-1y: {price: 4 USD/h, date: 2026-01, includes: host, source: test fixture}
      gpu-cloud: {price: 3 USD/h, low: 2 USD/h, high: 4 USD/h, date: 2026-01, region: US, includes: a VM, source: test fixture}
      gpu-cloud-3y: {price: 2 USD/h, upfront: 25 %, date: 2026-01, includes: a cluster, source: test fixture}
      spot: {price: 1.5 USD/h, date: 2024-06, includes: a pod, source: test fixture}
    embodied: {low: 300 kgCO2e, central: 500 kgCO2e, high: 700 kgCO2e, source: test fixture, year: 2026}
    server:
      accelerators: 4
      power: 400 W
      embodied: {low: 400 kgCO2e, central: 922 kgCO2e, high: 1200 kgCO2e, source: test fixture, year: 2026}
      source: test fixture
      year: 2026
  - id: hyperonly
    name: Hyperscaler-only GPU
    type: gpu
    memory: 24 GB
    power: {max: 100 W, idle: 10 W, source: test fixture, year: 2026}
    prices:
      hyperscaler: {price: 1 USD/h, date: 2025-06, includes: a VM, source: test fixture}
    embodied: {low: 30 kgCO2e, central: 50 kgCO2e, high: 70 kgCO2e, source: test fixture, year: 2026}
    server:
      accelerators: 4
      power: 200 W
      embodied: {low: 400 kgCO2e, central: 922 kgCO2e, high: 1200 kgCO2e, source: test fixture, year: 2026}
      source: test fixture
      year: 2026
"""


@pytest.fixture(scope="module")
def tier_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiers") / "profiles"
    shutil.copytree(TEST_PROFILES, root)
    with (root / "hardware.yaml").open("a", encoding="utf-8") as fh:
        fh.write(TIERED)
    small = (root / "models" / "small.yaml").read_text(encoding="utf-8")
    for hw in ("tiergpu", "hyperonly"):
        text = small.replace("id: small", f"id: small-{hw}").replace("hardware: testgpu", f"hardware: {hw}")
        (root / "models" / f"small-{hw}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def repo(tier_root: Path) -> Repository:
    return load_repository(tier_root)


def scenario(options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    base = {
        "name": "tiers",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {"task": "sentiment", "queries_per_day": "1000 query/day", "peak_to_average": 1},
        "defaults": {"region": "testland"},
        "options": [
            {"profile": "small-tiergpu", "batch_size": 8, "fleet": {"accelerators": 1}, **o} for o in options
        ],
    }
    base.update(extra)
    return base


def run_options(repo: Repository, options: list[dict[str, Any]], **extra: Any) -> Results:
    return evaluate(scenario_from_dict(scenario(options, **extra), repo=repo))


def rows(results: Results, option: str) -> dict[str, Any]:
    a = results.assumptions
    return {r.parameter: r for r in a[a["option"] == option].itertuples()}


def test_a_cloud_option_rents_in_the_gpu_cloud_tier_by_default_and_says_so(repo: Repository) -> None:
    res = run_options(repo, [{"id": "c", "deployment": "cloud"}])
    inputs = res.resolved.options[0]
    assert inputs.cloud_price_per_hour == 3.0
    row = rows(res, "c")["cloud price (GPU cloud on-demand)"]
    assert "gpu-cloud tier, dated 2026-01, US; includes a VM" in row.source
    assert res.summary.loc["c", "price_tier"] == "gpu-cloud"
    # 12 months of 730.5 h at 3 USD/h: the tier's price, not the hyperscaler's
    assert res.summary.loc["c", "tco_cost"] == pytest.approx(12 * 730.5 * 3.0)


def test_the_default_tier_falls_back_to_hyperscaler_where_no_gpu_cloud_price_exists(repo: Repository) -> None:
    res = run_options(repo, [{"id": "h", "deployment": "cloud", "profile": "small-hyperonly"}])
    assert res.resolved.options[0].cloud_price_per_hour == 1.0
    assert rows(res, "h")["cloud tier: fallback"].value == "hyperscaler"
    assert res.summary.loc["h", "price_tier"] == "hyperscaler"


def test_a_named_tier_without_a_price_is_refused_naming_the_priced_tiers(repo: Repository) -> None:
    with pytest.raises(ScenarioError) as err:
        run_options(
            repo,
            [{"id": "h", "deployment": "cloud", "profile": "small-hyperonly", "cloud_tier": "gpu-cloud"}],
        )
    assert err.value.field == "options[0].cloud_tier"
    assert "hardware 'hyperonly' has no gpu-cloud price; its priced tiers are hyperscaler" in err.value.detail


@pytest.mark.parametrize(
    ("fields", "rent", "pricing", "term"),
    [
        ({"cloud_tier": "hyperscaler"}, 5.0, "on-demand", None),
        ({"cloud_tier": "owner"}, 1.0, "on-demand", None),
        ({"cloud_tier": "hyperscaler-1y"}, 4.0, "committed", 12.0),  # a committed tier implies committed
        ({"pricing": "committed"}, 2.0, "committed", 36.0),  # the default market's longest commitment
        ({"cloud_tier": "hyperscaler", "pricing": "committed"}, 4.0, "committed", 12.0),
        ({"cloud_tier": "spot"}, 1.5, "spot", None),
        ({"pricing": "spot"}, 1.5, "spot", None),  # the spot tier, not on-demand less a discount
    ],
)
def test_cloud_tier_and_pricing_combine_as_the_readme_says(
    repo: Repository, fields: dict[str, str], rent: float, pricing: str, term: float | None
) -> None:
    res = run_options(repo, [{"id": "c", "deployment": "cloud", **fields}])
    o = res.resolved.options[0]
    assert (o.cloud_price_per_hour, o.cloud_pricing) == (rent, pricing)
    if term is not None:
        assert o.commitment_term_months == term
    if pricing == "spot":
        assert o.spot_discount == 0.0  # a spot tier's price is already a spot price


def test_a_committed_tier_brings_its_upfront_share_and_its_markets_on_demand_price(repo: Repository) -> None:
    res = run_options(repo, [{"id": "c", "deployment": "cloud", "cloud_tier": "gpu-cloud-3y"}])
    o = res.resolved.options[0]
    assert (o.commitment_upfront, o.cloud_on_demand_price_per_hour) == (0.25, 3.0)
    assert res.summary.loc["c", "price_tier"] == "gpu-cloud-3y"


def test_spot_pricing_without_a_spot_tier_takes_the_discount_off_the_on_demand_tier(repo: Repository) -> None:
    res = run_options(
        repo, [{"id": "c", "deployment": "cloud", "pricing": "spot", "profile": "small-hyperonly"}]
    )
    o = res.resolved.options[0]
    assert (o.cloud_price_per_hour, o.spot_discount) == (1.0, pytest.approx(0.6))


def test_a_committed_tier_beside_on_demand_pricing_is_refused(repo: Repository) -> None:
    with pytest.raises(ScenarioError) as err:
        run_options(
            repo, [{"id": "c", "deployment": "cloud", "cloud_tier": "gpu-cloud-3y", "pricing": "on-demand"}]
        )
    assert err.value.field == "options[0].pricing"
    assert "cloud_tier gpu-cloud-3y is committed capacity but pricing is on-demand" in err.value.detail


def test_a_quote_replaces_the_tier_price_and_names_the_tier(repo: Repository) -> None:
    res = run_options(repo, [{"id": "c", "deployment": "cloud", "cloud_price": "2.2 USD/h"}])
    assert res.resolved.options[0].cloud_price_per_hour == 2.2
    assert "cloud price (quote, in place of GPU cloud on-demand)" in rows(res, "c")


def test_on_prem_pays_the_purchase_tier(repo: Repository) -> None:
    res = run_options(repo, [{"id": "p", "deployment": "on-prem"}])
    assert res.resolved.options[0].unit_price == 10000.0
    assert res.summary.loc["p", "price_tier"] == "purchase"
    assert "accelerator price (purchase)" in rows(res, "p")


def test_a_price_older_than_the_limit_is_flagged_in_the_assumptions(repo: Repository) -> None:
    res = run_options(repo, [{"id": "c", "deployment": "cloud", "cloud_tier": "spot"}])
    row = rows(res, "c")["stale price: spot"]
    assert row.value == "price dated 2024-06, 19 months before the scenario starts (2026-01)"
    fresh = run_options(
        repo, [{"id": "c", "deployment": "cloud", "cloud_tier": "spot"}], stale_price_age="24 months"
    )
    assert "stale price: spot" not in rows(fresh, "c")
    assert "stale price: GPU cloud on-demand" not in rows(
        run_options(repo, [{"id": "c", "deployment": "cloud"}]), "c"
    )


def test_the_old_price_and_cloud_blocks_read_as_tiers(test_repo: Repository) -> None:
    p = test_repo.hardware["testgpu"].prices
    assert [t for t, _ in p.items()] == ["purchase", "hyperscaler", "hyperscaler-1y"]
    assert (p.purchase.price.value, p.hyperscaler.price.value, p.hyperscaler_1y.price.value) == (9000, 2, 1.5)
    assert p.purchase.date == "2026-01"


def test_priced_tiers_lists_every_hardware_tier_pair_with_a_price(repo: Repository) -> None:
    pairs = priced_tiers(repo.hardware)
    assert [t for h, t in pairs if h == "tiergpu"] == [
        "purchase",
        "owner",
        "hyperscaler",
        "hyperscaler-1y",
        "gpu-cloud",
        "gpu-cloud-3y",
        "spot",
    ]
    assert [t for h, t in pairs if h == "hyperonly"] == ["hyperscaler"]


@pytest.mark.parametrize(
    ("tier", "field", "message"),
    [
        (
            "{price: 3 USD/h, date: 2026-13, includes: x x, source: test}",
            "date",
            "expected a month as YYYY-MM",
        ),
        ("{price: 3 USD, date: 2026-01, includes: x x, source: test}", "price", "convertible to USD/h"),
        (
            "{price: 3 USD/h, low: 4 USD/h, date: 2026-01, includes: x x, source: test}",
            "",
            "expected low <= price",
        ),
        ("{price: 3 USD/h, date: 2026-01, source: test}", "includes", "missing, this field is required"),
    ],
)
def test_a_bad_tier_is_refused_naming_file_and_field(
    tmp_path: Path, tier: str, field: str, message: str
) -> None:
    root = tmp_path / "profiles"
    shutil.copytree(TEST_PROFILES, root)
    hw = root / "hardware.yaml"
    text = hw.read_text(encoding="utf-8").replace(
        "    price: {purchase: 9000 USD, source: test fixture, year: 2026}\n"
        "    cloud: {on_demand: 2 USD/h, committed: 1.5 USD/h, source: test fixture, year: 2026}\n",
        f"    prices:\n      gpu-cloud: {tier}\n",
    )
    hw.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_repository(root)
    where = "hardware[0].prices.gpu-cloud" + (f".{field}" if field else "")
    assert (err.value.file, err.value.field) == (str(hw), where)
    assert message in err.value.detail


def test_an_unknown_tier_name_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "profiles"
    shutil.copytree(TEST_PROFILES, root)
    hw = root / "hardware.yaml"
    hw.write_text(
        hw.read_text(encoding="utf-8").replace(
            "    price: {purchase: 9000 USD, source: test fixture, year: 2026}\n"
            "    cloud: {on_demand: 2 USD/h, committed: 1.5 USD/h, source: test fixture, year: 2026}\n",
            "    prices: {neocloud: {price: 1 USD/h, date: 2026-01, includes: x x, source: test}}\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_repository(root)
    assert err.value.field == "hardware[0].prices.neocloud"
    assert err.value.detail.startswith("unknown field")


def test_old_blocks_beside_tiers_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "profiles"
    shutil.copytree(TEST_PROFILES, root)
    hw = root / "hardware.yaml"
    hw.write_text(
        hw.read_text(encoding="utf-8").replace(
            "    cloud: {on_demand",
            "    prices: {spot: {price: 1 USD/h, date: 2026-01, includes: x x, source: test}}\n    cloud: {on_demand",
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="give prices \\(tiers\\) or the old price/cloud blocks, not both"):
        load_repository(root)


def test_months_between_counts_calendar_months() -> None:
    assert months_between("2025-03", "2026-01") == 10
    assert months_between("2026-01", "2026-01") == 0
    assert months_between("2026-02", "2026-01") == -1


def test_check_prices_names_stale_missing_and_fallback_prices(repo: Repository) -> None:
    found = {(f.kind, f.hardware, f.tier) for f in check_prices(repo.hardware, as_of="2026-06")}
    assert ("stale", "tiergpu", "spot") in found  # 2024-06, 24 months before
    assert ("stale", "hyperonly", "hyperscaler") not in found  # 2025-06: 12 months, not more
    assert ("fallback", "hyperonly", "gpu-cloud") in found
    assert ("missing", "hyperonly", "purchase") in found
    assert not any(h == "tiergpu" and k == "missing" for k, h, _ in found)
    assert {f.kind for f in failing(check_prices(repo.hardware, as_of="2026-06"))} == {"stale", "missing"}


def _cli(root: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv(PROFILES_ENV, str(root))
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    return run(["data", "check", *args])


def test_tco_data_check_exits_1_listing_what_is_wrong(
    tier_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(tier_root, ["--as-of", "2026-06", "--json"], monkeypatch) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"stale": 1, "unsourced": 0, "missing": 1, "fallback": 2}
    assert {
        "kind": "stale",
        "hardware": "tiergpu",
        "tier": "spot",
        "detail": "dated 2024-06, 24 months before 2026-06",
    } in doc["findings"]


def test_tco_data_check_exits_0_when_every_default_tier_is_priced_and_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "profiles"
    shutil.copytree(TEST_PROFILES, root)
    hw = root / "hardware.yaml"
    text = hw.read_text(encoding="utf-8").replace(
        "    price: {purchase: 9000 USD, source: test fixture, year: 2026}\n"
        "    cloud: {on_demand: 2 USD/h, committed: 1.5 USD/h, source: test fixture, year: 2026}\n",
        "    prices:\n"
        "      purchase: {price: 9000 USD, date: 2026-01, includes: GPU only, source: test fixture}\n"
        "      gpu-cloud: {price: 2 USD/h, date: 2026-01, includes: a VM, source: test fixture}\n",
    )
    hw.write_text(text, encoding="utf-8")
    assert _cli(root, ["--as-of", "2026-06"], monkeypatch) == 0
    assert "0 stale, 0 unsourced, 0 missing in a default tier" in capsys.readouterr().out


def test_tco_data_check_refuses_a_bad_month_with_exit_2(
    tier_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(tier_root, ["--as-of", "June"], monkeypatch) == 2
    assert "--as-of: expected a month as YYYY-MM, got 'June'" in capsys.readouterr().err


def test_shipped_data_has_no_unsourced_price_and_prices_every_default_tier_it_can(
    shipped_repo: Repository,
) -> None:
    """The shipped data as README 'Price tiers' reports it at 2026-12: every GPU of issue 21 priced in both
    default tiers (or the hyperscaler fallback) within 12 months; the one gap (the AWS-only A10G's purchase)
    is named there, and what is stale lies outside the default tiers."""
    findings = check_prices(shipped_repo.hardware, as_of="2026-12")
    assert not [f for f in findings if f.kind == "unsourced"]
    missing = sorted((f.hardware, f.tier) for f in findings if f.kind == "missing")
    assert missing == [("a10g", "purchase")]
    fallback = sorted(f.hardware for f in findings if f.kind == "fallback")
    assert fallback == ["a10g", "t4"]
    stale_tiers = {f.tier for f in findings if f.kind == "stale"}
    assert stale_tiers == {"owner", "gpu-cloud-3y"}  # SemiAnalysis' August 2025 constants, none newer
    issue_gpus = [
        "h100-sxm",
        "h200",
        "b200",
        "gb200",
        "l40s",
        "l4",
        "a100-80gb",
        "t4",
        "mi300x",
        "mi325x",
        "mi355x",
    ]
    for hw in issue_gpus:
        prices = shipped_repo.hardware[hw].prices
        for tier in ("purchase", "gpu-cloud"):
            t = prices.get(tier) or (prices.get("hyperscaler") if tier == "gpu-cloud" else None)
            assert t is not None and months_between(t.date, "2026-12") <= 12, (hw, tier)


def test_stale_prices_are_notes_of_every_report(repo: Repository) -> None:
    from tco.presentation.answer import price_notes
    from tco.presentation.reports import content

    res = run_options(repo, [{"id": "c", "deployment": "cloud", "cloud_tier": "spot"}])
    line = (
        "c: spot price dated 2024-06, 19 months before the scenario starts (2026-01); check a current quote."
    )
    assert price_notes(res) == [line]
    assert line in content.gather(res, charts=False).notes
    assert price_notes(run_options(repo, [{"id": "c", "deployment": "cloud"}])) == []
