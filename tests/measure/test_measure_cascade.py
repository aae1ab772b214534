"""Measuring a cascade: selection and scoring by hand, confidences against the model's own forward pass,
and `tco measure-cascade` end to end on tiny random models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import typer
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from measure.cascade import (
    Answer,
    answer_with_confidence,
    cascade_outcome,
    eos_ids,
    select_escalated,
)
from measure.cascade_cli import measure_cascade
from measure.models import Engine, load_model
from measure.tasks import Prompt, get_task
from tco.scenario.cascade import read_cascade_measurement

# ------------------------------------------------------------------ selection and scoring, by hand


def test_threshold_escalates_the_answers_below_it() -> None:
    sel = select_escalated([-0.5, -2.0, -1.0, -3.0], threshold=-1.5)
    assert sel.escalated == (False, True, False, True)
    assert sel.share == 0.5
    assert sel.threshold == -1.5


def test_share_escalates_the_least_confident_and_reports_the_cut() -> None:
    sel = select_escalated([-0.5, -2.0, -1.0, -3.0], share=0.25)
    assert sel.escalated == (False, False, False, True)
    assert sel.threshold == -2.0  # the least confident answer kept
    # 0.3 x 4 = 1.2 -> 1 query; 0.4 x 4 = 1.6 -> 2 queries
    assert select_escalated([-0.5, -2.0, -1.0, -3.0], share=0.3).count == 1
    assert select_escalated([-0.5, -2.0, -1.0, -3.0], share=0.4).escalated == (False, True, False, True)


def test_share_breaks_ties_by_order_and_nan_is_least_confident() -> None:
    assert select_escalated([-1.0, -1.0, -1.0, 0.0], share=0.5).escalated == (True, True, False, False)
    assert select_escalated([-0.1, math.nan, -0.2], share=1 / 3).escalated == (False, True, False)
    everything = select_escalated([-0.1, -0.2], share=1.0)
    assert everything.escalated == (True, True) and everything.threshold is None
    nothing = select_escalated([-0.1, -0.2], share=0.0)
    assert nothing.count == 0 and nothing.threshold == -0.2


@given(
    conf=st.lists(st.floats(min_value=-50, max_value=0, allow_nan=False), min_size=1, max_size=40),
    share=st.floats(min_value=0, max_value=1),
)
def test_share_selection_takes_the_least_confident(conf: list[float], share: float) -> None:
    sel = select_escalated(conf, share=share)
    assert sel.count == math.floor(share * len(conf) + 0.5)
    up = [c for c, e in zip(conf, sel.escalated, strict=True) if e]
    kept = [c for c, e in zip(conf, sel.escalated, strict=True) if not e]
    if up and kept:
        assert max(up) <= min(kept) == sel.threshold
    # the threshold rule at the cut reproduces the selection, except for answers tied at the cut
    if kept and sel.threshold is not None:
        again = select_escalated(conf, threshold=sel.threshold)
        assert again.count <= sel.count
        assert all(e for c, e in zip(conf, sel.escalated, strict=True) if c < sel.threshold)
        assert all(a <= e for a, e in zip(again.escalated, sel.escalated, strict=True))


@given(
    conf=st.lists(st.floats(min_value=-50, max_value=0, allow_nan=False), min_size=1, max_size=40),
    threshold=st.floats(min_value=-60, max_value=0),
)
def test_threshold_selection_is_below_it(conf: list[float], threshold: float) -> None:
    sel = select_escalated(conf, threshold=threshold)
    assert sel.escalated == tuple(c < threshold for c in conf)
    assert 0.0 <= sel.share <= 1.0


def test_exactly_one_rule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        select_escalated([0.5], threshold=0.1, share=0.1)
    with pytest.raises(ValueError, match="exactly one"):
        select_escalated([0.5])


def test_cascade_quality_takes_the_second_answer_where_escalated() -> None:
    task = get_task("arithmetic")  # exact-match-number: the last number in the output
    prompts = [Prompt(str(i), f"q{i}", (ref,)) for i, ref in enumerate(["8", "48", "13", "42"])]
    first = [Answer("so 8", -0.1), Answer("0", -2.0), Answer("13", -0.2), Answer("7", -3.0)]
    then = ["8", "48", "0", "42"]
    sel = select_escalated([a.confidence for a in first], threshold=-1.0)
    out = cascade_outcome(task, prompts, first, then, sel)
    assert out.outputs == ("so 8", "48", "13", "42")
    assert out.quality.value == 1.0 and out.quality.n == 4
    assert out.first_quality.value == 0.5
    assert out.then_quality.value == 0.75
    assert out.quality.metric == "exact-match-number"


def test_unscored_prompts_count_in_the_share_not_in_the_quality() -> None:
    task = get_task("arithmetic")
    prompts = [Prompt("a", "q", ("1",)), Prompt("b", "q", None)]
    first = [Answer("1", -0.1), Answer("x", -5.0)]
    sel = select_escalated([a.confidence for a in first], threshold=-1.0)
    out = cascade_outcome(task, prompts, first, ["2", "y"], sel)
    assert sel.share == 0.5
    assert out.quality.n == 1 and out.quality.value == 1.0


def test_a_set_without_references_is_one_line() -> None:
    task = get_task("qa")
    prompts = [Prompt("a", "q", None)]
    sel = select_escalated([-1.0], threshold=-2.0)
    with pytest.raises(Exception, match=r"mine.jsonl: no prompt has a reference, expected references"):
        cascade_outcome(task, prompts, [Answer("x", -1.0)], ["y"], sel, source="mine.jsonl")


# ------------------------------------------------------------------ confidences from real models


def test_generative_confidence_is_the_mean_log_probability_of_the_generated_tokens(
    tiny_models: dict[str, Path],
) -> None:
    import torch

    loaded = load_model(str(tiny_models["causal-lm"]), device="cpu", dtype="float32")
    task = get_task("qa")
    engine = Engine(loaded, task, max_new_tokens=4)
    prompts = [Prompt("a", "What is the capital of France?", ("Paris",)), Prompt("b", "Two and two?", ("4",))]
    batched = answer_with_confidence(engine, prompts, batch_size=2)
    tok, model = loaded.tokenizer, loaded.model
    for p, got in zip(prompts, batched, strict=True):
        # greedy again, one prompt at a time (no padding), then the same tokens teacher-forced
        ids = tok(engine.texts([p]), return_tensors="pt")["input_ids"]
        with torch.inference_mode():
            seq = model.generate(
                input_ids=ids, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id
            )
            gen = seq[0, ids.shape[1] :].tolist()
            n = next((i + 1 for i, t in enumerate(gen) if t == tok.eos_token_id), len(gen))
            logits = model(input_ids=seq[:, : ids.shape[1] + n]).logits[0].float()
        logp = torch.log_softmax(logits, dim=-1)
        want = sum(float(logp[ids.shape[1] - 1 + i, gen[i]]) for i in range(n)) / n
        assert got.confidence == pytest.approx(want, abs=1e-4)
        assert got.confidence < 0.0
        assert got.output == tok.decode(gen, skip_special_tokens=True)


def test_generation_ends_at_every_configured_end_token(tiny_models: dict[str, Path]) -> None:
    loaded = load_model(str(tiny_models["causal-lm"]), device="cpu", dtype="float32")
    assert eos_ids(loaded) == [2]
    loaded.model.generation_config.eos_token_id = [7, 2]  # as instruction-tuned models list several
    assert eos_ids(loaded) == [2, 7]


def test_classifier_confidence_is_the_largest_softmax_probability(tiny_models: dict[str, Path]) -> None:
    import torch

    loaded = load_model(str(tiny_models["classifier"]), device="cpu", dtype="float32")
    engine = Engine(loaded, get_task("sentiment"), max_new_tokens=1)
    prompts = [Prompt("a", "Great film.", ("positive",)), Prompt("b", "Dull and long.", ("negative",))]
    answers = answer_with_confidence(engine, prompts, batch_size=1)
    for p, got in zip(prompts, answers, strict=True):
        enc = loaded.tokenizer([p.input], return_tensors="pt")
        with torch.inference_mode():
            probs = torch.softmax(loaded.model(**enc).logits[0], dim=-1)
        assert got.confidence == pytest.approx(float(probs.max()), abs=1e-6)
        assert got.output in ("positive", "negative")
        assert 0.5 <= got.confidence <= 1.0


# ------------------------------------------------------------------ the command end to end


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("measure-cascade")(measure_cascade)

    @app.command("noop")
    def noop() -> None:  # a second command, so that the command is addressed by name as under `tco`
        pass

    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["measure-cascade", *args])
    return result.exit_code, result.output


@pytest.fixture
def arithmetic_prompts(tmp_path: Path) -> Path:
    path = tmp_path / "arith.jsonl"
    rows = [
        {"input": "What is 2 plus 2?", "reference": "4"},
        {"input": "What is 3 times 5?", "reference": "15"},
        {"input": "What is 10 minus 7?", "reference": "3"},
        {"input": "What is 9 plus 1?", "reference": "10"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_command_writes_the_measured_share_and_qualities(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, arithmetic_prompts: Path
) -> None:
    out = tmp_path / "cascade.yaml"
    code, text = run(
        app,
        "--first", str(tiny_models["causal-lm"]), "--then", str(tiny_models["seq2seq"]),
        "--task", "arithmetic", "--prompts", str(arithmetic_prompts), "--escalate-share", "50 %",
        "--max-new-tokens", "3", "--batch-size", "2", "--device", "cpu", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    assert "escalated 50.0% (2 of 4)" in text
    m = read_cascade_measurement(out)
    assert m.task == "arithmetic"
    assert m.prompts.n == 4 and m.prompts.source == str(arithmetic_prompts)
    assert m.escalate == 0.5 and m.escalated == 2
    assert m.confidence.selection == "share" and m.confidence.share_asked == 0.5
    assert m.confidence.unit == "nat/token" and "log-probability" in m.confidence.rule
    assert m.confidence.threshold is not None and m.confidence.threshold < 0
    seen = m.confidence.observed
    assert seen is not None
    assert seen["min"] <= seen["p25"] <= seen["median"] <= seen["p75"] <= seen["max"] < 0  # type: ignore[operator]
    assert seen["min"] < m.confidence.threshold <= seen["max"]  # type: ignore[operator]
    written = yaml.safe_load(out.read_text())
    assert written["escalate"] == "50 %" and written["confidence"]["share_asked"] == "50 %"  # with units
    assert m.first.kind == "causal-lm" and m.then.kind == "seq2seq"
    assert m.quality.metric == m.first.quality.metric == "exact-match-number"
    assert m.quality.n == 4
    assert m.measured["tool"] == "tco measure-cascade" and m.measured["device"] == "cpu"
    assert "date" in m.measured and "transformers" in m.measured


def test_threshold_extremes_give_each_models_own_quality(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    # sentiment on the shipped set: a classifier first (probabilities), a causal LM second
    common = ["--first", str(tiny_models["classifier"]), "--then", str(tiny_models["causal-lm"]),
              "--task", "sentiment", "--max-new-tokens", "2", "--device", "cpu"]  # fmt: skip
    code, text = run(app, *common, "--threshold", "0", "-o", str(tmp_path / "none.yaml"))
    assert code == 0, text
    none = read_cascade_measurement(tmp_path / "none.yaml")
    assert none.escalate == 0.0 and none.quality.value == pytest.approx(none.first.quality.value)
    assert none.confidence.unit == "" and none.confidence.threshold == 0.0
    code, text = run(app, *common, "--threshold", "1", "-o", str(tmp_path / "all.yaml"))
    assert code == 0, text
    every = read_cascade_measurement(tmp_path / "all.yaml")
    assert every.escalate == 1.0 and every.quality.value == pytest.approx(every.then.quality.value)
    assert every.prompts.source == "measure/tasks/sentiment.jsonl"
    assert every.escalated == every.prompts.n == none.prompts.n


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--threshold: give either --threshold or --escalate-share"),
        (["--threshold", "-1", "--escalate-share", "10 %"], "give either --threshold or --escalate-share"),
        (["--escalate-share", "150 %"], "--escalate-share:"),
        (["--escalate-share", "3 m"], "--escalate-share:"),
        (["--threshold", "0.5"], "--threshold: 0.5 is above 0; the first model generates text"),
        (["--threshold", "-1", "--task", "nope"], "unknown task 'nope'"),
        (["--threshold", "-1", "--prompts", "missing.jsonl"], "missing.jsonl: no such file"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    code, text = run(
        app, "--first", str(tiny_models["causal-lm"]), "--then", str(tiny_models["causal-lm"]),
        "--task", "qa", "--max-new-tokens", "1", "--device", "cpu", "-o", str(tmp_path / "c.yaml"), *args,
    )  # fmt: skip
    assert code == 2, text
    assert message in text
    errors = [ln for ln in text.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1 and errors[0].startswith("error: ")  # one line, no traceback
    assert text.strip().splitlines()[-1] == errors[0]
    assert not (tmp_path / "c.yaml").exists()


def test_a_classifier_threshold_must_be_a_probability(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    code, text = run(
        app, "--first", str(tiny_models["classifier"]), "--then", str(tiny_models["causal-lm"]),
        "--threshold", "-1", "--device", "cpu", "-o", str(tmp_path / "c.yaml"),
    )  # fmt: skip
    assert code == 2
    assert "--threshold: -1 is no probability; the first model is a classifier" in text


def test_a_scenario_cascade_takes_the_written_file(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, arithmetic_prompts: Path
) -> None:
    from tco.analysis.portfolio import build_problem
    from tco.api import load_scenario

    (tmp_path / "measured").mkdir()
    code, text = run(
        app, "--first", str(tiny_models["causal-lm"]), "--then", str(tiny_models["causal-lm"]),
        "--task", "arithmetic", "--prompts", str(arithmetic_prompts), "--escalate-share", "25 %",
        "--max-new-tokens", "2", "--device", "cpu", "-o", str(tmp_path / "measured" / "arith.yaml"),
    )  # fmt: skip
    assert code == 0, text
    root = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((root / "profiles/scenarios/portfolio.yaml").read_text())
    raw["plan"]["cascades"][0]["escalate"] = {"measured": "measured/arith.yaml"}  # relative to the scenario
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(raw))
    loaded = load_scenario(tmp_path / "scenario.yaml")
    measured = read_cascade_measurement(tmp_path / "measured" / "arith.yaml")
    cascade = build_problem(loaded)[1].route("arithmetic", "arith-8b-then-70b")
    assert cascade.stages[1].share == pytest.approx(0.25) == measured.escalate
    assert cascade.quality == pytest.approx(measured.quality.value)
    assert cascade.metric == "exact-match-number (cascade, measured, n=4)"


def test_a_second_model_that_cannot_load_fails_before_the_first_runs(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    code, text = run(
        app, "--first", str(tiny_models["causal-lm"]), "--then", str(tmp_path / "no-such-model"),
        "--threshold", "-1", "--device", "cpu", "-o", str(tmp_path / "c.yaml"),
    )  # fmt: skip
    assert code == 2
    assert f"error: model: cannot load model '{tmp_path / 'no-such-model'}'" in text
    assert "loading" not in text  # nothing was loaded or run
