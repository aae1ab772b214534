"""`tco diff A B` end to end: the inputs that differ with their units, how the results move, 100 columns,
and one line with exit code 2 for bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tco.analysis.diff import diff_views
from tco.analysis.view import compute_view
from tco.presentation.diff import money
from tco.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def tco(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tco.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def two_budgets(tmp_path: Path) -> tuple[Path, Path]:
    """The shipped portfolio (A) and the same with a 10 % discount rate and DistilBERT moved to India (B)."""
    raw = yaml.safe_load((ROOT / "profiles/scenarios/portfolio.yaml").read_text())
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(yaml.safe_dump(raw))
    raw["discount_rate"] = "10 %"
    next(o for o in raw["options"] if o["id"] == "slm-distilbert-t4")["region"] = "in"
    b.write_text(yaml.safe_dump(raw))
    return a, b


def test_diff_prints_the_inputs_and_the_moves_the_engine_computes(tmp_path: Path) -> None:
    a, b = two_budgets(tmp_path)
    r = tco("diff", str(a), str(b))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    text = r.stdout
    assert "│ discount_rate                     │ 8 % │ 10 % │" in text
    assert "│ options[slm-distilbert-t4].region │ fr  │ in   │" in text
    d = diff_views(compute_view(load_scenario(str(a))), compute_view(load_scenario(str(b))))
    plan = d.results[d.results["scope"] == "plan"].set_index("measure").loc["npv_cost_without_carbon"]
    assert (
        f"moves from {money(plan['a'], 'USD')} to {money(plan['b'], 'USD')} "
        f"({money(plan['change'])} USD, {plan['change_pct']:+.1f} %)" in " ".join(text.split())
    )
    emissions = d.results.set_index(["option", "measure"]).loc[("slm-distilbert-t4", "emissions_kg")]
    assert emissions["change"] > 0  # India's grid is dirtier than France's
    cells = [money(emissions["a"]), money(emissions["b"]), "+" + money(emissions["change"])]
    assert re.search(r"\s*│\s*".join(re.escape(c) for c in cells), text), text
    assert f"{emissions['change_pct']:+.1f} %" in text
    assert "Optimised plan" in text and "Net present cost without the carbon" in text


def test_diff_of_a_scenario_with_itself_says_the_inputs_are_the_same(tmp_path: Path) -> None:
    a, _ = two_budgets(tmp_path)
    r = tco("diff", str(a), str(a))
    assert r.returncode == 0, r.stderr
    assert "B differs from A in 0 inputs" in r.stdout
    assert "The two scenarios have the same inputs." in r.stdout


def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    a, _ = two_budgets(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon: 12 kg\n")
    for args in ((str(a), str(tmp_path / "missing.yaml")), (str(a), str(bad)), (str(a),)):
        r = tco("diff", *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error:"), r.stderr
        assert "Traceback" not in r.stderr
