"""`tco measure --endpoint` against misbehaving servers (tests/measure/hostile_server.py: real local HTTP
servers, no mocks): every wait is bounded, every size capped, and a failed run is one line, exit code 2,
and nothing in the output folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from measure.bounded_http import Timeouts, parse_base_url
from measure.endpoint import EndpointError, OpenAIClient
from tco.cli.main import run
from tco.errors import InputError
from tests.measure.hostile_server import MODEL, serve

FAST = Timeouts(connect_s=1.0, first_byte_s=1.0, idle_s=1.0, request_s=5.0)


def _measure(url: str, out: Path, *extra: str) -> list[str]:
    return [
        "measure", "--endpoint", url, "--served-model", MODEL, "--meter", "estimate", "--server-pid",
        str(os.getpid()), "--concurrency", "1", "--steady-window", "0.3s", "--min-queries", "3",
        "--max-new-tokens", "4", "--cooldown", "0s", "-o", str(out / "p.yaml"), *extra,
    ]  # fmt: skip


# mode -> the one line `tco measure --endpoint` ends with (after "error: <url>")
REFUSED = {
    "silent": "/models: no answer within 1 s (--request-timeout)",
    "models-only": ": no answer within 1 s (--request-timeout) (at concurrency 1)",
    "endless-tokens": ": the stream ran past the 4 tokens asked for (at concurrency 1)",
    "endless-empty": ": the stream sent more than 20 events for 4 tokens asked for, expected it to end (at "
    "concurrency 1)",
    "endless-comments": ": no event for 1 s (--request-timeout) (at concurrency 1)",
    "done-first": "",  # a request error, not the server's protocol: see the test
    "long-line": ": a line longer than 65,536 bytes (at concurrency 1)",
    "drip": ": no event for 1 s (--request-timeout) (at concurrency 1)",
    "slow-tokens": ": the stream ran past the 4 tokens asked for (at concurrency 1)",
    "list-events": ": an event that is not an OpenAI completion chunk (a JSON object with choices): a JSON "
    "list (at concurrency 1)",
    "bad-json": ": an event that is not an OpenAI completion chunk (a JSON object with choices): not valid "
    "JSON: Expecting property name enclosed in double quotes at line 1, column 2 (at concurrency 1)",
    "huge-usage": ": an event that is not an OpenAI completion chunk (a JSON object with choices): "
    "usage.completion_tokens: Input should be a valid integer, got 1e+300 (at concurrency 1)",
    "too-many-tokens": ": the stream ran past the 4 tokens asked for (at concurrency 1)",
    "endless-models": "/models answered a body longer than 1,048,576 bytes, expected an OpenAI model list",
    "stall-headers": ": no answer within 1 s (--request-timeout) (at concurrency 1)",
}


@pytest.mark.parametrize("mode", sorted(REFUSED))
def test_a_misbehaving_server_is_one_line_exit_2_and_nothing_written(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(mode) as url:
        t0 = time.monotonic()
        code = run(_measure(url, tmp_path, "--request-timeout", "1s"))
        took = time.monotonic() - t0
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert 1 <= len(lines) <= 3 and "Traceback" not in err, err
    assert lines[-1].startswith("error: "), err
    if mode == "done-first":
        assert lines[-1] == (
            "error: no concurrency level ran (concurrency 1: the stream ended without any token); no profile "
            "written"
        )
    else:
        assert lines[-1] == f"error: {url}{REFUSED[mode]}"
    assert list(tmp_path.iterdir()) == []  # no profile, no timeline CSV or PNG
    assert took < 30, f"{mode}: {took:.1f} s"  # a hang guard (the bound is 5 s of --request-timeout 1s x 5)


@pytest.mark.parametrize("mode", ["error-endless", "html"])
def test_servers_that_answer_no_stream_give_one_line(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(mode) as url:
        code = run(_measure(url, tmp_path, "--request-timeout", "1s"))
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) <= 3, lines  # what was measured, the level's error, the error line
    expected = {
        "error-endless": "concurrency 1: HTTP 500: error error",
        "html": "concurrency 1: the stream ended without any token",
    }[mode]
    assert lines[-1].startswith(f"error: no concurrency level ran ({expected}"), lines
    assert list(tmp_path.iterdir()) == []


def test_a_well_behaved_server_is_measured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the same harness and flags measure a server that behaves: the refusals above are the server's doing
    with serve("good") as url:
        code = run(_measure(url, tmp_path, "--request-timeout", "1s"))
    err = capsys.readouterr().err
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.timeline.csv", "p.timeline.png", "p.yaml"]


def test_a_silent_server_is_reported_within_the_default_20_s() -> None:
    # the installed command with its defaults, in its own process: no hang, the stated default in the line
    with serve("silent") as url:
        proc = subprocess.run(
            [sys.executable, "-m", "tco.cli", "measure", "--endpoint", url, "--served-model", MODEL],
            capture_output=True,
            text=True,
            timeout=60,  # a hang guard: the default answers within 20 s
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"error: {url}/models: no answer within 20 s (--request-timeout)\n"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1", "--endpoint: got 'http://[::1' (Invalid IPv6 URL), expected an http(s) URL such as "
         "http://127.0.0.1:8000/v1"),
        ("http://127.0.0.1:99999/v1", "--endpoint: got 'http://127.0.0.1:99999/v1' (Port out of range "
         "0-65535), expected an http(s) URL such as http://127.0.0.1:8000/v1"),
        ("ftp://example.org/v1", "--endpoint: got 'ftp://example.org/v1', expected an http(s) URL such as "
         "http://127.0.0.1:8000/v1"),
        ("http://exa mple.org/v1", "--endpoint: got 'http://exa mple.org/v1': spaces or control characters, "
         "expected an http(s) URL such as http://127.0.0.1:8000/v1"),
        ("http://example.org/v1?x=1", "--endpoint: got 'http://example.org/v1?x=1': a query or fragment, "
         "expected an http(s) URL such as http://127.0.0.1:8000/v1"),
    ],
)  # fmt: skip
def test_a_malformed_url_is_refused_before_use(url: str, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_base_url(url, field="--endpoint")
    assert str(e.value) == message


def test_a_malformed_url_on_the_command_line_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(_measure("http://[::1", tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --endpoint: got 'http://[::1' (Invalid IPv6 URL)") and err.count("\n") == 1


def test_the_client_reports_each_bound_it_hits() -> None:
    with serve("drip") as url:
        rec = OpenAIClient(url, MODEL, timeouts=FAST).stream("hi", 4)
    assert (rec.error, rec.fatal) == ("no event for 1 s (--request-timeout)", True)
    with serve("endless-comments") as url:  # comments are not events: they do not keep a stream alive
        rec = OpenAIClient(url, MODEL, timeouts=FAST).stream("hi", 4)
    assert (rec.error, rec.fatal) == ("no event for 1 s (--request-timeout)", True)
    lively = Timeouts(connect_s=1.0, first_byte_s=1.0, idle_s=1.0, request_s=2.0)
    with serve(
        "slow-tokens"
    ) as url:  # an event every 0.3 s keeps the idle bound; the whole request has its own
        rec = OpenAIClient(url, MODEL, timeouts=lively).stream("hi", 400)
    assert (rec.error, rec.fatal) == (
        "no end of the request within its limit of 2 s (--request-timeout)",
        True,
    )
    with serve("silent") as url, pytest.raises(EndpointError) as e:
        OpenAIClient(url, MODEL, timeouts=FAST).models()
    assert str(e.value) == f"{url}/models: no answer within 1 s (--request-timeout)"


def test_request_timeout_sets_the_silences_and_the_whole_request() -> None:
    assert Timeouts.from_request_timeout(20.0) == Timeouts(10.0, 20.0, 20.0, 600.0)
    assert Timeouts.from_request_timeout(2.0) == Timeouts(2.0, 2.0, 2.0, 60.0)
