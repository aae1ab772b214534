"""Hostile uploads through the app (AppTest): a friendly one-line message, never an exception element, and
an uploaded scenario never reads the server's files."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tco.api import LoadedScenario, load_scenario
from tco.scenario.yamlio import dump_yaml
from tests.app.test_app import APP, ROOT, expected, open_app, screen

# the single-task scenario (the default before the task portfolio): these tests pin its numbers
SCENARIO = "slm-vs-llm"

MALFORMED = Path(__file__).parents[1] / "data" / "malformed"
READS_SERVER = (
    "an uploaded scenario cannot read files on the server, expected the file name of a profile uploaded on the "
    "Profiles page (none uploaded in this session yet), or no entry and a shipped profile by id"
)


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(SCENARIO)


@pytest.fixture
def at() -> AppTest:
    return open_app(SCENARIO)


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="scenario_upload").upload(name, data, "application/x-yaml")
    return at.run()


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "pyproject.toml", "../../etc/shadow"])
def test_profile_files_of_an_upload_are_never_read_on_the_server(
    at: AppTest, loaded: LoadedScenario, target: str
) -> None:
    before = screen(at)
    _upload(at, "mine.yaml", dump_yaml({**loaded.raw, "profile_files": [target]}).encode())
    assert not at.exception
    assert [e.value for e in at.error] == [f"Upload rejected: mine.yaml: profile_files[0]: {READS_SERVER}"]
    assert target not in at.error[0].value  # whether it exists is not told either
    assert screen(at) == before


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("alias-bomb.yaml", "more than 200,000 values once anchors and aliases are expanded, expected a plain "
         "scenario or profile (aliases that multiply are refused)"),
        ("deep-nesting.yaml", "nested more than 40 levels deep at line 1, expected a flatter YAML file"),
        ("thousands-separator.yaml", "workload.queries_per_day: got '2 000 000 query/day': digit-group "
         "separators are not read, expected the number written without them such as '2000000'"),
        ("power-chain.yaml", "workload.queries_per_day: got '3**3**3**3 query/day': arithmetic is not read in "
         "quantities, expected one number and a unit such as '2000000 query/day', '0.12 USD/kWh', '20 %' or "
         "'1e6'"),
    ],
)  # fmt: skip
def test_hostile_uploads_get_a_friendly_line(at: AppTest, name: str, line: str) -> None:
    _upload(at, name, (MALFORMED / name).read_bytes())
    assert not at.exception
    assert [e.value for e in at.error] == [f"Upload rejected: {name}: {line}"]


def test_markup_in_an_uploaded_name_is_shown_as_written(at: AppTest, loaded: LoadedScenario) -> None:
    raw = {**loaded.raw, "name": "Plan [/b] 2026", "description": None}
    text = loaded.with_changes(raw).to_yaml().encode()
    _upload(at, "plan.yaml", text)
    assert not at.exception and not at.error
    assert screen(at) == expected(loaded.with_changes(raw))


def test_an_upload_may_name_a_profile_uploaded_in_the_session(loaded: LoadedScenario) -> None:
    pid = next(iter(loaded.repo.models))
    src = Path(loaded.repo.model_files[pid]).read_text().replace(f"id: {pid}", "id: my-measured-profile", 1)
    profiles = AppTest.from_file(str(ROOT / "pages" / "profiles.py"), default_timeout=60).run()
    profiles.file_uploader(key="profile_upload").upload("mine-profile.yaml", src.encode()).run()
    assert not profiles.exception and not profiles.error
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["session_profiles"] = profiles.session_state["session_profiles"]
    at.run()
    opt = next(o for o in loaded.raw["options"] if o.get("profile") == pid)
    raw = {
        **loaded.raw,
        "profile_files": ["mine-profile.yaml"],
        "options": [
            {**o, "profile": "my-measured-profile"} if o is opt else o for o in loaded.raw["options"]
        ],
    }
    _upload(at, "uses-mine.yaml", dump_yaml(raw).encode())
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="scenario_choice").value == "Uploaded: uses-mine.yaml"
    assert opt["id"] in screen(at)


def test_an_upload_with_a_stale_price_shows_the_warning_the_reports_carry(
    at: AppTest, loaded: LoadedScenario
) -> None:
    """A scenario starting in 2028 finds the GPU-cloud prices (2026-03) older than 12 months: the page says so
    above the answer, in the words of every report's notes."""
    from tco.api import evaluate, scenario_from_dict
    from tco.presentation.answer import price_notes

    raw = {**loaded.raw, "start": "2028-01"}
    _upload(at, "later.yaml", dump_yaml(raw).encode())
    assert not at.exception and not at.error
    want = price_notes(evaluate(scenario_from_dict(raw)))
    assert want and any("GPU cloud on-demand price dated 2026-03" in n for n in want)
    assert [w.value for w in at.warning] == want
