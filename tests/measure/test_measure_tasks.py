from __future__ import annotations

from pathlib import Path

import pytest

from measure import tasks
from tco.errors import InputError


@pytest.mark.parametrize(
    ("name", "n"), [("sentiment", 24), ("summarisation", 12), ("qa", 16), ("arithmetic", 16), ("code", 12)]
)
def test_shipped_prompt_sets_load_with_references(name: str, n: int) -> None:
    prompts = tasks.load_shipped_prompts(tasks.get_task(name))
    assert len(prompts) == n
    assert all(p.reference for p in prompts)


def test_aliases_and_unknown_task() -> None:
    assert tasks.get_task("summarization").name == "summarisation"
    with pytest.raises(InputError) as e:
        tasks.get_task("poetry")
    assert str(e.value) == (
        "task: unknown task 'poetry', expected one of sentiment, summarisation, qa, arithmetic, code "
        "(or give your own file with --prompts)"
    )


def test_scores() -> None:
    assert tasks.score_accuracy(" Positive, clearly.", ["positive"], ["negative", "positive"]) == 1.0
    assert tasks.score_accuracy("negative or positive", ["positive"], ["negative", "positive"]) == 0.0
    assert tasks.score_exact_match(" The Pacific Ocean.\nmore", ["Pacific Ocean"]) == 1.0
    assert tasks.score_exact_match("Atlantic", ["Pacific"]) == 0.0
    assert tasks.score_number("3 + 5 = 8. The answer is 8", ["8"]) == 1.0
    assert tasks.score_number("1,200 apples", ["1200"]) == 1.0
    assert tasks.score_number("no idea", ["8"]) == 0.0
    # 3 common tokens of 4 output and 6 reference tokens: P 3/4, R 1/2, F1 0.6
    assert tasks.score_token_f1("return a + c", ["return a + b ;;"]) == pytest.approx(0.6)


def test_score_mean_over_referenced_prompts() -> None:
    task = tasks.get_task("qa")
    ps = [
        tasks.Prompt("1", "q1", ("Paris",)),
        tasks.Prompt("2", "q2", ("Tokyo",)),
        tasks.Prompt("3", "q3", None),
    ]
    q = tasks.score(task, ps, ["Paris", "Kyoto", "whatever"])
    assert q == tasks.QualityScore(task="qa", metric="exact-match", value=0.5, n=2)


def test_user_files_jsonl_and_yaml(tmp_path: Path) -> None:
    j = tmp_path / "mine.jsonl"
    j.write_text('{"prompt": "Say hi", "reference": "hi"}\n\n{"input": "2+2?", "answers": [4, "four"]}\n')
    assert tasks.load_prompts(j) == [
        tasks.Prompt("0", "Say hi", ("hi",)),
        tasks.Prompt("1", "2+2?", ("4", "four")),
    ]
    y = tmp_path / "mine.yaml"
    y.write_text("prompts:\n  - {id: a, input: hello}\n")
    assert tasks.load_prompts(y) == [tasks.Prompt("a", "hello", None)]


def test_user_file_errors_name_file_and_line(tmp_path: Path) -> None:
    j = tmp_path / "bad.jsonl"
    j.write_text('{"input": "ok"}\n{"input": "x", "refrence": "y"}\n')
    with pytest.raises(InputError) as e:
        tasks.load_prompts(j)
    assert str(e.value) == f"{j}: line 2: unknown key 'refrence', expected id, input (or prompt), reference"
    j.write_text('{"input": "ok"}\n{oops\n')
    with pytest.raises(InputError) as e:
        tasks.load_prompts(j)
    assert str(e.value) == (
        f"{j}: not valid JSON: Expecting property name enclosed in double quotes at line 2, column 2"
    )
    with pytest.raises(InputError) as e:
        tasks.load_prompts(tmp_path / "none.jsonl")
    assert str(e.value) == f"{tmp_path / 'none.jsonl'}: no such file"
