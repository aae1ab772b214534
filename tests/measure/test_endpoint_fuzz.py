"""Fuzz: a real local server (tests/measure/hostile_server.py) answers the endpoint client with streams
drawn by hypothesis from good events, hostile events (lists, numbers, broken JSON, counts of 1e300, choices
that are not lists), comments, junk bytes, over-long lines, early or missing [DONE], error statuses and
pauses past the idle bound. Whatever it sends, a request ends within its bounds with a measurement that
holds (tokens within those asked for) or an error of one line; /v1/models answers a list of ids or one
line. The long run: `python -m pytest -m fuzz -s --hypothesis-seed 1 tests/measure/test_endpoint_fuzz.py`."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from measure.bounded_http import Timeouts
from measure.endpoint import EndpointError, OpenAIClient
from tests.measure.hostile_server import MODEL, Script, event, serve, token
from tests.scenario.test_fuzz import CI_EXAMPLES as SCENARIO_CI_EXAMPLES
from tests.scenario.test_fuzz import _examples

CI_EXAMPLES = 40  # each is one request to a local server: a few seconds in all
MAX_TOKENS = 6
BOUNDS = Timeouts(connect_s=1.0, first_byte_s=0.3, idle_s=0.3, request_s=2.0)
SLACK_S = 3.0  # beyond the request's bound: thread scheduling on a loaded machine

ODD_VALUES: list[Any] = [None, True, 1e300, -1, 2**70, "7", [], {}, [1, 2], "x" * 100, 1.5, float("nan")]


def _events() -> st.SearchStrategy[bytes]:
    text = st.text(max_size=8) | st.sampled_from(["a", " ", "", "[/]", "\u202e", "😀"])
    usage = st.fixed_dictionaries(
        {},
        optional={
            "completion_tokens": st.integers(-5, 20) | st.sampled_from(ODD_VALUES),
            "prompt_tokens": st.integers(-5, 20) | st.sampled_from(ODD_VALUES),
        },
    )
    return st.one_of(
        text.map(token),
        text.map(lambda t: event({"choices": [{"index": 0, "delta": {"content": t}}]})),
        usage.map(lambda u: event({"choices": [], "usage": u})),
        st.sampled_from(ODD_VALUES).map(lambda v: event({"choices": v})),
        st.sampled_from(ODD_VALUES).map(lambda v: event({"choices": [{"text": v}]})),
        st.sampled_from(ODD_VALUES).map(lambda v: b"data: " + json.dumps(v).encode() + b"\n\n"),
        st.sampled_from(
            [
                b"data: [DONE]\n\n", b": keep-alive\n\n", b"event: ping\n", b"id: 7\n", b"\n", b"data:\n\n",
                b"data: {broken\n\n", b"data: \xff\xfe\n\n", b"\x00\x00\n", b"data: " + b"[" * 200 + b"\n\n",
                b"data: " + b"x" * 70_000 + b"\n\n", token("a").replace(b"\n\n", b"\r\n\r\n"),
            ]
        ),
    )  # fmt: skip


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    if draw(st.integers(0, 2)) == 0:  # a good stream with harmless noise: comments, blank lines, short pauses
        chunks = [token(f" t{i}") for i in range(draw(st.integers(1, MAX_TOKENS)))]
        for _ in range(draw(st.integers(0, 4))):
            noise = draw(st.sampled_from([b": keep-alive\n\n", b"\n", b"event: ping\n", b"id: 1\n"]))
            chunks.insert(draw(st.integers(0, len(chunks))), noise)
        chunks.append(b"data: [DONE]\n\n")
        return Script(chunks=chunks, pauses=[draw(st.sampled_from([0.0, 0.01])) for _ in chunks])
    chunks = draw(st.lists(_events(), max_size=12))
    if draw(st.booleans()):
        chunks = [token(f" t{i}") for i in range(draw(st.integers(0, MAX_TOKENS + 3)))] + chunks
    if draw(st.booleans()):
        chunks.append(b"data: [DONE]\n\n")
    pauses = [draw(st.sampled_from([0.0, 0.0, 0.0, 0.01, 0.5])) for _ in chunks]  # 0.5 s: past the idle bound
    status = draw(st.sampled_from([200, 200, 200, 200, 404, 429, 500]))
    return Script(chunks=chunks, pauses=pauses, status=status)


def examples(config: pytest.Config) -> int:
    n = _examples(config)
    return CI_EXAMPLES if n == SCENARIO_CI_EXAMPLES else n


@pytest.mark.fuzz
def test_any_stream_ends_within_its_bounds_measured_or_one_line(request: pytest.FixtureRequest) -> None:
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    live = Script()  # the server answers whatever this holds when a request comes

    hypothesis_seed = request.config.getoption("hypothesis_seed", None)

    @settings(
        max_examples=examples(request.config),
        derandomize=hypothesis_seed is None,  # the same streams on every run unless a seed is given
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(script=scripts())
    def check(script: Script) -> None:
        live.chunks, live.pauses, live.status = script.chunks, script.pauses, script.status
        t0 = time.monotonic()
        rec = client.stream("hi", MAX_TOKENS)
        took = time.monotonic() - t0
        try:
            assert took <= BOUNDS.connect_s + BOUNDS.request_s + SLACK_S, took
            if rec.error is None:
                assert 1 <= len(rec.chunk_times_s) <= MAX_TOKENS, rec
                assert 1 <= rec.output_tokens <= MAX_TOKENS, rec
                counts["measured"] += 1
            else:
                assert "\n" not in rec.error and len(rec.error) < 400, rec.error
                counts["fatal" if rec.fatal else "request error"] += 1
        except AssertionError:
            counts["anything else"] += 1
            raise

    with serve(script=live) as url:
        client = OpenAIClient(url, MODEL, timeouts=BOUNDS)
        run = seed(int(hypothesis_seed))(check) if hypothesis_seed is not None else check
        try:
            run()
        finally:
            print(f"\nendpoint fuzz: {dict(counts)}, {time.perf_counter() - start:.0f} s", flush=True)
    assert counts["measured"] > 0 and counts["fatal"] > 0  # both outcomes are exercised


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    body=st.sampled_from(
        [b"", b"{", b"[]", b"null", b'{"data": 1}', b'{"data": [{"id": 1}]}', b'{"data": [{"id": ""}]}',
         b'{"data": [{}]}', b"\xff", b'{"data": [{"id": "' + b"x" * 400 + b'"}]}', b"[" * 10_000]
    )
    | st.binary(max_size=64)
    | st.recursive(st.none() | st.integers() | st.text(max_size=5), lambda c: st.lists(c) | st.dictionaries(
        st.text(max_size=4), c), max_leaves=6).map(lambda v: json.dumps({"data": v}).encode())
)  # fmt: skip
def test_any_models_answer_is_a_list_of_ids_or_one_line(body: bytes) -> None:
    with serve(script=Script(models=body)) as url:
        try:
            ids = OpenAIClient(url, MODEL, timeouts=BOUNDS).models()
        except EndpointError as e:
            assert "\n" not in str(e) and str(e).startswith(f"{url}/models"), str(e)
            return
    assert all(isinstance(i, str) and 0 < len(i) <= 300 for i in ids), ids
