"""Every flag of the `tco` command line, given hostile values, exits 0 or gives exit code 2 and exactly one
line on stderr (`tco.cli.main.run`, the code path of the installed command)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measure.endpoint
import measure.models
from tco.cli.main import run
from tco.errors import InputError
from tests.scenario.fuzzing import NUMBERS, TEXT, UNITS

HOSTILE = (
    st.sampled_from([t for t in TEXT if len(t) < 100])  # long names: test_a_name_too_long_is_one_line
    | st.builds(lambda n, u: f"{n} {u}", st.sampled_from(NUMBERS), st.sampled_from(UNITS))
    | st.text(min_size=1, max_size=20).filter(lambda t: not t.startswith("-") and "\x00" not in t)
)
# An OpenAI-compatible endpoint nobody serves: the `no_model` fixture stops the client before it connects.
ENDPOINT = "http://127.0.0.1:9/v1"
# (command, flag) -> the arguments before the flag; scenario commands use the shipped default scenario
FLAGS = [
    (["report", "slm-vs-llm", "--no-analysis"], "--format"),
    (["report", "slm-vs-llm", "--no-analysis", "-f", "md"], "--output"),
    (["report"], "--profile"),
    (["validate", "slm-vs-llm"], "--profile"),
    (["validate"], None),
    (["compare", "slm-vs-llm"], "--rank-by"),
    (["compare", "slm-vs-llm"], "--quality-floor"),
    (["compare", "slm-vs-llm"], "--slo-p95"),
    (["compare", "slm-vs-llm"], "--format"),
    (["compare", "slm-vs-llm"], "--output"),
    (["sensitivity", "slm-vs-llm", "--option", "api-70b"], "--format"),
    (["sensitivity", "slm-vs-llm"], "--option"),
    (["sensitivity", "slm-vs-llm", "--option", "api-70b"], "--output"),
    (["uncertainty", "slm-vs-llm"], "--samples"),
    (["uncertainty", "slm-vs-llm", "-n", "20"], "--seed"),
    (["uncertainty", "slm-vs-llm", "-n", "20"], "--format"),
    (["uncertainty", "slm-vs-llm", "-n", "20"], "--output"),
    (["breakeven", "slm-vs-llm", "--input", "carbon_price"], "--rank-by"),
    (["breakeven", "slm-vs-llm"], "--input"),
    (["breakeven", "slm-vs-llm", "--b", "api-70b"], "--a"),
    (["breakeven", "slm-vs-llm", "--a", "api-70b"], "--b"),
    (["breakeven", "slm-vs-llm", "--input", "carbon_price"], "--format"),
    (["breakeven", "slm-vs-llm", "--input", "carbon_price"], "--output"),
    (["profiles", "list"], None),
    (["profiles", "show"], None),
    *(
        (["measure", "some/model"], flag)
        for flag in (
            "--task",
            "--metric",
            "--batch-sizes",
            "--max-new-tokens",
            "--kind",
            "--dtype",
            "--device",
            "--hardware",
            "--min-queries",
            "--min-window",
            "--windows",
            "--warmup",
            "--cooldown",
            "--idle",
            "--meter",
            "--tdp",
            "--weights",
            "--id",
            "--output",
        )
    ),
    (["measure", "some/model", "--task", "mine"], "--prompts"),
    (["measure", "some/model"], "--settle"),
    (["measure", "--served-model", "m"], "--endpoint"),
    (["measure", "--endpoint", ENDPOINT], "--served-model"),
    *(
        (["measure", "--endpoint", ENDPOINT, "--served-model", "m"], flag)
        for flag in (
            "--concurrency",
            "--request-rate",
            "--input-tokens",
            "--steady-window",
            "--api",
            "--gpus",
            "--server-pid",
            "--parameters",
            "--request-timeout",
        )
    ),
    *(
        (["measure-cascade", "--first", "some/model", "--then", "big/model", "--threshold", "-1"], flag)
        for flag in (
            "--task",
            "--metric",
            "--max-new-tokens",
            "--batch-size",
            "--first-kind",
            "--then-kind",
            "--dtype",
            "--device",
            "--output",
        )
    ),
    (["measure-cascade", "--first", "a", "--then", "b", "--task", "mine", "--threshold", "-1"], "--prompts"),
    (["measure-cascade", "--then", "big/model", "--threshold", "-1"], "--first"),
    (["measure-cascade", "--first", "some/model", "--threshold", "-1"], "--then"),
    (["measure-cascade", "--first", "some/model", "--then", "big/model"], "--threshold"),
    (["measure-cascade", "--first", "some/model", "--then", "big/model"], "--escalate-share"),
    (["curve", "slm-vs-llm"], "--option"),
    (["curve", "slm-vs-llm"], "--format"),
    (["curve", "slm-vs-llm"], "--output"),
    (["plan", "portfolio"], "--objective"),
    (["plan", "portfolio"], "--format"),
    # a sweep file that does not exist: the flag is checked first, and nothing runs or joins a cluster
    *(
        (["sweep", "slm-vs-llm", "no-such-sweep.yaml"], f)
        for f in ("--output", "--workers", "--ray", "--chart")
    ),
]


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def stop(*args: object, **kwargs: object) -> None:
        raise InputError("options accepted; this test loads no model", field="MODEL")

    monkeypatch.setattr(measure.models, "load_model", stop)
    monkeypatch.setattr(measure.models, "check_config", stop)

    def no_server(*args: object, **kwargs: object) -> list[str]:
        raise InputError("options accepted; this test talks to no server", field="--endpoint")

    monkeypatch.setattr(measure.endpoint.OpenAIClient, "models", no_server)


@pytest.mark.parametrize(
    ("before", "flag"), FLAGS, ids=[f"{' '.join(b)} {f or ''}".strip() for b, f in FLAGS]
)
@settings(
    max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=HOSTILE)
def test_any_flag_value_exits_0_or_2_with_one_line(
    before: list[str],
    flag: str | None,
    value: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cwd = tmp_path_factory.mktemp("cwd")  # files a flag value names are written here, not in the project
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        argv = [*before, value] if flag is None else [*before, flag, value]
        code = run(argv)
    out = capsys.readouterr()
    assert code in (0, 2), (argv, code, out.err)
    if code == 2:  # one error line, the last (measure says what it loads before it)
        lines = out.err.strip().splitlines()
        assert [line for line in lines if line.startswith("error: ")] == lines[-1:], (argv, out.err)
        assert all(line.startswith("loading ") for line in lines[:-1]), (argv, out.err)


def test_the_flag_list_covers_every_option_of_every_command() -> None:
    import typer.main

    from tco.cli.main import app

    group = typer.main.get_command(app)
    named = {(before[0], f) for before, f in FLAGS if f}
    missing = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        if name == "profiles":
            continue
        for p in cmd.params:
            longest = max(p.opts, key=len)
            flag = p.param_type_name == "option" and not getattr(p, "is_flag", False)
            if flag and (name, longest) not in named:
                missing.append(f"{name} {longest}")
    assert missing == [], missing


@pytest.mark.parametrize("argv", [["validate", "a" * 5000], ["report", "-o", "b" * 5000 + ".md"]])
def test_a_name_too_long_for_the_system_is_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
