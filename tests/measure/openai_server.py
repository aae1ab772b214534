"""A small but real OpenAI-compatible HTTP server for the endpoint tests: `POST /v1/completions` and
`/v1/chat/completions` (streamed as server-sent events, or not), `GET /v1/models`, backed by a transformers
model loaded with `from_pretrained` and decoded greedily one token at a time with its KV cache.

Concurrent requests interleave token by token (a lock guards each forward step), as a continuous-batching
server's requests share the device. Run: `python openai_server.py MODEL_DIR --served-model-name NAME`; it
binds 127.0.0.1 on a free port and prints `PORT <n>` once it is ready.

With `--model-in-child` the model runs in a child process, as `transformers serve` and vLLM's V1 engine
core run theirs: this process only answers HTTP and relays each request to the child over a local
connection (one per request, tokens streamed back one by one); it prints `PORT <n> CHILD <pid>`. The child
ends with its parent.

`GET /metrics` answers vLLM's Prometheus gauges from the server's real state (`--metrics v1`, the default:
vLLM V1's names; `v0`: the older `vllm:gpu_cache_usage_perc`; `none`: HTTP 404, as a server without them):
`vllm:num_requests_running` counts the requests generating now, `vllm:num_requests_waiting` those queued
for a place (`--max-running N` lets at most N generate at once, as vLLM's `--max-num-seqs`; 0: no limit),
and the KV-cache use is the tokens the running requests hold (prompt and generated) over
`--kv-cache-tokens`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Generator:
    """Greedy decoding with the KV cache, one forward step at a time under a shared lock."""

    def __init__(self, folder: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(1)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModelForCausalLM.from_pretrained(folder).eval()
        self.lock = threading.Lock()

    def stream(self, prompt: str, max_tokens: int, ignore_eos: bool) -> Any:
        """Yield (token_id, text) pairs; the prompt's token count is `self.last_prompt_tokens`."""
        torch = self.torch
        ids = self.tokenizer(prompt, return_tensors="pt")["input_ids"][:, -256:]
        past = None
        step_input = ids
        eos = self.tokenizer.eos_token_id
        for _ in range(max_tokens):
            with self.lock, torch.inference_mode():
                out = self.model(input_ids=step_input, past_key_values=past, use_cache=True)
            past = out.past_key_values
            next_id = out.logits[:, -1].argmax(-1, keepdim=True)
            token = int(next_id)
            yield token, self.tokenizer.decode([token])
            if token == eos and not ignore_eos:
                return
            step_input = next_id

    def prompt_tokens(self, prompt: str) -> int:
        return min(256, len(self.tokenizer(prompt)["input_ids"]))

    def count_tokens(self, text: str) -> int:
        return len(list(self.tokenizer(text)["input_ids"]))


def _child_main(folder: str, ready: Any) -> None:
    """The model process: load the model, listen on a free local port, serve each connection in a thread."""
    from multiprocessing.connection import Listener

    gen = Generator(folder)
    listener = Listener(("127.0.0.1", 0), authkey=b"tiny")
    ready.send(listener.address)
    parent = os.getppid()

    def watch_parent() -> None:  # end with the parent, however it ended
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    def serve(conn: Any) -> None:
        with conn:
            op, *args = conn.recv()
            if op == "stream":
                for token, text in gen.stream(*args):
                    conn.send((token, text))
                conn.send(None)
            elif op == "prompt_tokens":
                conn.send(gen.prompt_tokens(*args))
            else:
                conn.send(gen.count_tokens(*args))

    threading.Thread(target=watch_parent, daemon=True).start()
    while True:
        threading.Thread(target=serve, args=(listener.accept(),), daemon=True).start()


class ChildGenerator:
    """The Generator's interface, answered by a child process that holds the model."""

    def __init__(self, folder: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_child_main, args=(folder, theirs), daemon=True)
        self.process.start()
        self.address = ours.recv()

    def _call(self, *request: Any) -> Any:
        from multiprocessing.connection import Client

        conn = Client(self.address, authkey=b"tiny")
        conn.send(request)
        return conn

    def stream(self, prompt: str, max_tokens: int, ignore_eos: bool) -> Any:
        with self._call("stream", prompt, max_tokens, ignore_eos) as conn:
            while (item := conn.recv()) is not None:
                yield item

    def prompt_tokens(self, prompt: str) -> int:
        with self._call("prompt_tokens", prompt) as conn:
            return int(conn.recv())

    def count_tokens(self, text: str) -> int:
        with self._call("count_tokens", text) as conn:
            return int(conn.recv())


class Scheduler:
    """The server's real state as vLLM's scheduler reports it: requests running and waiting, KV tokens held."""

    def __init__(self, max_running: int, kv_cache_tokens: int) -> None:
        self.lock = threading.Condition()
        self.max_running = max_running
        self.kv_cache_tokens = kv_cache_tokens
        self.running = 0
        self.waiting = 0
        self.kv_tokens = 0
        self.finished = 0

    def admit(self, prompt_tokens: int) -> None:
        """Wait for a place in the batch (counted as waiting meanwhile), then hold the prompt's KV."""
        with self.lock:
            self.waiting += 1
            while self.max_running and self.running >= self.max_running:
                self.lock.wait()
            self.waiting -= 1
            self.running += 1
            self.kv_tokens += prompt_tokens

    def grow(self) -> None:
        with self.lock:
            self.kv_tokens += 1

    def release(self, held: int) -> None:
        with self.lock:
            self.running -= 1
            self.kv_tokens -= held
            self.finished += 1
            self.lock.notify()

    def stream(self, gen: Any, prompt: str, max_tokens: int, ignore_eos: bool) -> Any:
        """`gen.stream` run as one scheduled request."""
        held = gen.prompt_tokens(prompt)
        self.admit(held)
        try:
            for item in gen.stream(prompt, max_tokens, ignore_eos):
                self.grow()
                held += 1
                yield item
        finally:
            self.release(held)

    def prometheus(self, served: str, flavour: str) -> bytes:
        """vLLM's /metrics page (its names, types and labels) of the state now."""
        with self.lock:
            running, waiting, finished = self.running, self.waiting, self.finished
            kv = min(1.0, self.kv_tokens / self.kv_cache_tokens)
        if flavour == "sglang":  # SGLang's names (python/sglang/srt/metrics/collector.py)
            return _sglang_page(served, running, waiting, kv)
        if flavour == "tgi":  # TGI's names (router/src/server.rs): no KV-cache gauge
            return _tgi_page(running, waiting)
        labels = f'engine="0",model_name="{served}"'
        kv_name = "vllm:kv_cache_usage_perc" if flavour == "v1" else "vllm:gpu_cache_usage_perc"
        lines = [
            "# HELP python_gc_objects_collected_total Objects collected during gc",
            "# TYPE python_gc_objects_collected_total counter",
            'python_gc_objects_collected_total{generation="0"} 1234.0',
            "# HELP vllm:num_requests_running Number of requests in model execution batches.",
            "# TYPE vllm:num_requests_running gauge",
            f"vllm:num_requests_running{{{labels}}} {float(running)}",
            "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
            "# TYPE vllm:num_requests_waiting gauge",
            f"vllm:num_requests_waiting{{{labels}}} {float(waiting)}",
            f"# HELP {kv_name} KV-cache usage. 1 means 100 percent usage.",
            f"# TYPE {kv_name} gauge",
            f"{kv_name}{{{labels}}} {kv!r}",
            "# HELP vllm:request_success_total Count of successfully processed requests.",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{{labels},finished_reason="length"}} {float(finished)}',
        ]
        return ("\n".join(lines) + "\n").encode()


def _sglang_page(served: str, running: int, waiting: int, kv: float) -> bytes:
    labels = f'model_name="{served}",engine_type="unified",tp_rank="0",pp_rank="0"'
    lines = [
        "# HELP sglang:num_running_reqs The number of running requests.",
        "# TYPE sglang:num_running_reqs gauge",
        f"sglang:num_running_reqs{{{labels}}} {float(running)}",
        "# HELP sglang:num_queue_reqs The number of requests in the waiting queue.",
        "# TYPE sglang:num_queue_reqs gauge",
        f"sglang:num_queue_reqs{{{labels}}} {float(waiting)}",
        "# HELP sglang:token_usage The token usage.",
        "# TYPE sglang:token_usage gauge",
        f"sglang:token_usage{{{labels}}} {kv!r}",
        "# HELP sglang:cache_hit_rate The prefix cache hit rate.",
        "# TYPE sglang:cache_hit_rate gauge",
        f"sglang:cache_hit_rate{{{labels}}} 0.0",
    ]
    return ("\n".join(lines) + "\n").encode()


def _tgi_page(running: int, waiting: int) -> bytes:
    lines = [
        "# TYPE tgi_request_count counter",
        "tgi_request_count 3",
        "# TYPE tgi_queue_size gauge",
        f"tgi_queue_size {waiting}",
        "# TYPE tgi_batch_current_size gauge",
        f"tgi_batch_current_size {running}",
        "# TYPE tgi_batch_current_max_tokens gauge",
        "tgi_batch_current_max_tokens 512",
    ]
    return ("\n".join(lines) + "\n").encode()


def make_handler(
    gen: Generator | ChildGenerator, served: str, sched: Scheduler | None = None, metrics: str = "v1"
) -> type[BaseHTTPRequestHandler]:
    state = sched or Scheduler(0, 2048)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/metrics" and metrics != "none":
                page = state.prometheus(served, metrics)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
            elif self.path.rstrip("/") == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": served, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            chat = self.path.rstrip("/") == "/v1/chat/completions"
            if not chat and self.path.rstrip("/") != "/v1/completions":
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            if req.get("model") != served:
                self._json(404, {"error": {"message": f"model {req.get('model')!r} not served"}})
                return
            if chat:
                prompt = "".join(f"{m['role']}: {m['content']}\n" for m in req["messages"]) + "assistant:"
            else:
                prompt = str(req["prompt"])
            max_tokens = int(req.get("max_tokens") or 16)
            ignore_eos = bool(req.get("ignore_eos", False))
            rid = f"cmpl-{uuid.uuid4().hex[:12]}"
            if not req.get("stream"):
                text = "".join(t for _, t in state.stream(gen, prompt, max_tokens, ignore_eos))
                n = gen.count_tokens(text)
                self._json(200, {"id": rid, "choices": [{"index": 0, "text": text}], "usage": {
                    "prompt_tokens": gen.prompt_tokens(prompt), "completion_tokens": n}})  # fmt: skip
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            count = 0
            for _, piece in state.stream(gen, prompt, max_tokens, ignore_eos):
                count += 1
                choice: dict[str, Any] = {"index": 0, "finish_reason": None}
                if chat:
                    choice["delta"] = {"content": piece or " "}
                else:
                    choice["text"] = piece or " "  # an empty decode still is a token
                self._event({"id": rid, "object": "text_completion", "created": int(time.time()),
                             "model": served, "choices": [choice]})  # fmt: skip
            usage = {"prompt_tokens": gen.prompt_tokens(prompt), "completion_tokens": count}
            usage["total_tokens"] = usage["prompt_tokens"] + count
            if (req.get("stream_options") or {}).get("include_usage"):
                self._event({"id": rid, "model": served, "choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def _event(self, body: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(body).encode() + b"\n\n")
            self.wfile.flush()

    return Handler


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model")
    p.add_argument("--served-model-name", default="tiny")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--model-in-child", action="store_true", help="run the model in a child process")
    p.add_argument("--max-running", type=int, default=0, help="requests generating at once (0: any)")
    p.add_argument("--kv-cache-tokens", type=int, default=2048, help="KV-cache size, tokens")
    p.add_argument(
        "--metrics", choices=("v1", "v0", "sglang", "tgi", "none"), default="v1", help="the /metrics page"
    )
    args = p.parse_args(argv)
    gen: Generator | ChildGenerator = (
        ChildGenerator(args.model) if args.model_in_child else Generator(args.model)
    )
    sched = Scheduler(args.max_running, args.kv_cache_tokens)
    handler = make_handler(gen, args.served_model_name, sched, args.metrics)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    child = f" CHILD {gen.process.pid}" if isinstance(gen, ChildGenerator) else ""
    signal.signal(signal.SIGTERM, _interrupt)  # terminate() ends the child too
    print(f"PORT {server.server_address[1]}{child}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if isinstance(gen, ChildGenerator):
            gen.process.terminate()


if __name__ == "__main__":
    sys.exit(main())
