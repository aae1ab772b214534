"""Report formats are one registry (tco/presentation/reports/formats.py): a format registered there is offered by
`tco report --format` (its check, its help, a file name's suffix), by default_filename and by the app's
download choices, and rendered from the view like every other format. This module is a toy format's module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tco.api import LoadedScenario, compute_view, load_scenario
from tco.presentation import reports
from tco.presentation.reports import formats
from tco.presentation.reports.content import ReportContent

TOY = formats.ReportFormat("toy", "Toy text", ".toy", "text/plain", __name__)


def render(content: ReportContent) -> bytes:
    """The toy format: the report's title and its options' TCO, one line each (read from the content)."""
    lines = [
        content.title,
        *(
            f"{o}: {t:.2f}"
            for o, t in zip(content.summary["option"], content.summary["tco_cost"], strict=True)
        ),
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def toy():
    formats.register(TOY)
    yield TOY
    formats.unregister("toy")


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario("slm-vs-llm")


def _flat(text: str) -> str:
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


def test_a_registered_format_is_offered_and_rendered_everywhere(
    toy: formats.ReportFormat, loaded: LoadedScenario, tmp_path: Path
) -> None:
    view = compute_view(loaded)
    want = render(reports.gather(view, "toy")).decode()
    assert want.startswith(f"{loaded.name}\n") and want.count("\n") == 1 + len(view.results.summary)

    from tco.cli.main import app  # the command line as it is built now: with the toy format

    runner = CliRunner()
    help_text = _flat(runner.invoke(app, ["report", "--help"]).output)
    assert "toy (Toy text)" in help_text and "md (Markdown)" in help_text
    result = runner.invoke(app, ["report", "slm-vs-llm", "--format", "toy", "--no-analysis"])
    assert result.exit_code == 0, result.output
    assert result.stdout == want
    out = tmp_path / "mine.toy"
    result = runner.invoke(app, ["report", "slm-vs-llm", "-o", str(out), "--no-analysis"])  # from the suffix
    assert result.exit_code == 0, result.output
    assert out.read_text() == want
    result = runner.invoke(app, ["report", "slm-vs-llm", "--format", "pdf"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: --format: unknown format 'pdf', expected one of md, csv, json, xlsx, html, toy"
    )
    assert reports.default_filename(view, "toy") == "slm-vs-llm-report.toy"
    assert reports.default_filename(view, "TOY") == "slm-vs-llm-report.toy"


def test_the_apps_download_choices_are_the_registry(toy: formats.ReportFormat) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.app.test_app import APP

    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["scenario_choice"] = "slm-vs-llm"
    app.run()
    assert not app.exception
    choice = app.sidebar.selectbox(key="report_format")
    assert list(choice.options) == [f.label for f in formats.FORMATS.values()]
    assert "Toy text" in choice.options
    choice.set_value("toy").run()
    assert not app.exception
    button = next(b for b in app.sidebar.get("download_button") if "Toy text" in str(b.proto.label))
    assert button.proto.label == "Report (Toy text)"


def test_an_unknown_format_names_every_registered_one() -> None:
    with pytest.raises(
        reports.ReportError, match=r"unknown report format 'pdf', expected one of md, csv, json, xlsx, html"
    ):
        formats.get("pdf")
    assert formats.get(".MARKDOWN") is formats.FORMATS["md"]
    assert formats.from_suffix(".xlsx") is formats.FORMATS["xlsx"]
    assert formats.from_suffix(".docx") is None
