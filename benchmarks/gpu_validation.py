"""For a person with an NVIDIA GPU: validate the meters and measure random-init models of published sizes.

    python benchmarks/gpu_validation.py meters --model llama-3.2-1b -o out/   # one model, < 10 min
    python benchmarks/gpu_validation.py meters --smoke -o out/                # the script's flow on CPU
    python benchmarks/gpu_validation.py models -o out/    # 0.5B/1B/3B/8B random-init profiles via tco measure
    python benchmarks/gpu_validation.py models --smoke    # the same path with a tiny config, runs on CPU

`meters` builds ONE model (`--model`, random weights from its published config, on GPU 0), keeps it
generating (greedy, fixed length, random prompt ids) and, on the very same windows (5, 10 and 20 s by
default, `--repeats` each), reads three meters at once: the NVML energy counter
(nvmlDeviceGetTotalEnergyConsumption), the integrated instantaneous power (NVML_FI_DEV_POWER_INSTANT,
10 Hz) and the integrated 1 s-average power (nvmlDeviceGetPowerUsage). A window PASSES when the
instantaneous-power energy is within 1 % of the counter's; the run passes when every window does. Output
files in `-o`: `meters-<model>.csv` (one row per window), `meters-<model>.json` (summary: device, driver,
pass/fail, worst deviation) and `meters-<model>.timeline.csv` (the instantaneous-power timeline). The
8B model takes about 16 GB of GPU memory; all of them finish well within 10 minutes on an H100.

`models` builds each architecture from its published config (written out below, as no hub is reachable)
with random weights, saves it with a word-level tokenizer covering the model's vocabulary, and runs
`tco measure` with a forced output length (min_new_tokens = max_new_tokens), so the energy numbers are
those of real-sized models even though the weights (and the quality numbers) are meaningless. Profiles
say `weights: random-init`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

# Published configs (config.json of each model on the Hugging Face hub), the fields that set the size.
CONFIGS: dict[str, dict[str, Any]] = {
    "qwen2.5-0.5b": {
        "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896,
        "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "max_position_embeddings": 32768, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 151643, "eos_token_id": 151643,
    },
    "llama-3.2-1b": {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256, "hidden_size": 2048,
        "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
        "head_dim": 64, "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 128000, "eos_token_id": 128001,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
    },
    "llama-3.2-3b": {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256, "hidden_size": 3072,
        "intermediate_size": 8192, "num_hidden_layers": 28, "num_attention_heads": 24, "num_key_value_heads": 8,
        "head_dim": 128, "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 128000, "eos_token_id": 128001,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
    },
    "llama-3.1-8b": {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256, "hidden_size": 4096,
        "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "head_dim": 128, "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False, "hidden_act": "silu", "bos_token_id": 128000, "eos_token_id": 128001,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
    },
}  # fmt: skip
SMOKE: dict[str, dict[str, Any]] = {
    "smoke-llama": {
        **CONFIGS["llama-3.2-1b"], "vocab_size": 1024, "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
        "bos_token_id": 1, "eos_token_id": 2,
    }
}  # fmt: skip


def word_tokenizer(vocab_size: int, bos_id: int, eos_id: int) -> Any:
    """A word-level tokenizer with exactly `vocab_size` entries: the words of the shipped prompts, then
    fillers, and the model's bos/eos ids as special tokens, so every id the model emits decodes."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from measure.tasks import TASKS, load_shipped_prompts

    words = sorted({w for t in TASKS.values() for p in load_shipped_prompts(t) for w in p.input.split()})
    vocab: dict[str, int] = {"<unk>": 0}
    specials = {bos_id: "<s>", eos_id: "</s>"}
    for i, tok in specials.items():
        vocab[tok] = i
    it = iter(words)
    for i in range(vocab_size):
        if i in specials or i == 0:
            continue
        vocab[next(it, f"<extra_{i}>")] = i
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=tk,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="</s>",
        model_input_names=["input_ids", "attention_mask"],
    )


def build(name: str, cfg: dict[str, Any], folder: Path, dtype: str) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(**cfg)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    out = folder / name
    model.save_pretrained(out)
    word_tokenizer(cfg["vocab_size"], cfg["bos_token_id"], cfg["eos_token_id"]).save_pretrained(out)
    del model
    return out


def run_models(args: argparse.Namespace) -> None:
    import typer
    from typer.testing import CliRunner

    from measure.cli import measure

    app = typer.Typer()
    app.command("measure")(measure)
    app.command("noop")(lambda: None)
    configs = SMOKE if args.smoke else {k: CONFIGS[k] for k in args.only or CONFIGS}
    out_dir = Path(args.output)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for name, cfg in configs.items():
            folder = build(name, cfg, Path(tmp), "float32" if args.smoke else "bfloat16")
            hw_suffix = "cpu" if args.smoke else "gpu"
            cli = [
                "measure", str(folder), "--task", "summarisation", "--weights", "random-init",
                "--fixed-output-length", "--max-new-tokens", str(args.max_new_tokens),
                "--batch-sizes", args.batch_sizes, "-o", str(out_dir / f"random-init-{name}-{hw_suffix}.yaml"),
            ]  # fmt: skip
            if args.smoke:
                cli += ["--device", "cpu", "--min-window", "0.5s", "--min-queries", "2", "--windows", "2",
                        "--cooldown", "0s", "--idle", "0.5s", "--settle", "0s", "--warmup", "1"]  # fmt: skip
            print(f"== {name}: {' '.join(cli)}")
            result = CliRunner().invoke(app, cli)
            print(result.output)
            if result.exit_code != 0:
                print(f"   exit code {result.exit_code}")


TOLERANCE = 0.01  # a window passes when |instant / counter - 1| <= 1 %


def deviation(counter_j: float, other_j: float) -> float:
    """Relative deviation of `other_j` from `counter_j` (0.01 = 1 %)."""
    return other_j / counter_j - 1.0


def build_on_device(cfg: dict[str, Any], device: str) -> Any:
    """A random-init model of `cfg` on `device` (bfloat16 on GPU, float32 on CPU)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**cfg), dtype=dtype)
    return model.eval()


def run_meters(args: argparse.Namespace) -> None:
    import csv
    import json

    import torch

    from measure.meters.base import Meter
    from measure.meters.estimate import EstimateMeter
    from measure.timeline import Recorder, Timeline, write_timeline

    name = "smoke-llama" if args.smoke else args.model
    cfg = SMOKE[name] if args.smoke else CONFIGS[name]
    device = "cpu" if args.smoke else "cuda:0"
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    meters: dict[str, Meter]
    if args.smoke:  # exercises the flow only: an estimate against itself is no validation
        meters = {n: EstimateMeter(65.0, 10.0) for n in ("counter", "instant", "average")}
        device_label, driver = "CPU (smoke run, estimate meters: NOT a validation)", None
    else:
        from measure.meters.nvml_counter import NvmlCounterMeter
        from measure.meters.nvml_sampled import NvmlSampledMeter

        env = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
        uuid = str(torch.cuda.get_device_properties(0).uuid)
        counter = NvmlCounterMeter.open((0,), env=env, uuids=[uuid])
        instant = NvmlSampledMeter.open((0,), env=env, uuids=[uuid], instant=True)
        if not instant.instant:
            print(f"cannot validate: {instant.fallback_reason}")
        average = NvmlSampledMeter.open((0,), env=env, uuids=[uuid], instant=False)
        meters = {"counter": counter, "instant": instant, "average": average}
        device_label, driver = ", ".join(counter.devices()), counter.driver()
    model = build_on_device(cfg, device)
    ids = torch.randint(3, cfg["vocab_size"], (args.batch_size, 64), device=device)

    def work() -> None:
        with torch.inference_mode():
            model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=args.new_tokens,
                           min_new_tokens=args.new_tokens, do_sample=False, pad_token_id=0)  # fmt: skip
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    work()  # warm-up: kernels, allocations
    rows: list[dict[str, Any]] = []
    timelines: list[Timeline] = []
    print(f"{name} on {device_label}; driver {driver}")
    print(
        f"{'window s':>9} {'counter J':>10} {'instant J':>10} {'average J':>10} {'instant dev':>12} {'pass':>5}"
    )
    try:
        for window_s in args.windows:
            for k in range(args.repeats):
                time.sleep(args.cooldown)
                for m in meters.values():
                    m.start()
                rec = Recorder(meters["instant"], Timeline(f"window {window_s:g} s", k + 1), 0.1)
                rec.start()
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < window_s:
                    work()
                rec.stop()
                readings = {n: m.stop() for n, m in meters.items()}
                timelines.append(rec.finish(readings["instant"]))
                c, i, a = (readings[n].total_j for n in ("counter", "instant", "average"))
                dev = deviation(c, i)
                ok = abs(dev) <= TOLERANCE
                rows.append({"window_s": window_s, "repeat": k + 1, "seconds": round(readings["counter"].duration_s, 3),
                             "counter_j": round(c, 3), "instant_j": round(i, 3), "average_j": round(a, 3),
                             "instant_deviation": round(dev, 5), "average_deviation": round(deviation(c, a), 5),
                             "pass": ok})  # fmt: skip
                print(
                    f"{window_s:>9.1f} {c:>10.2f} {i:>10.2f} {a:>10.2f} {100 * dev:>11.2f}% {'yes' if ok else 'NO':>5}"
                )
    finally:
        for m in meters.values():
            m.close()
    passed = all(r["pass"] for r in rows)
    worst = max(rows, key=lambda r: abs(r["instant_deviation"]))
    with (out / f"meters-{name}.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    write_timeline(out / f"meters-{name}.timeline.csv", timelines)
    summary = {"model": name, "device": device_label, "driver": driver, "tolerance": TOLERANCE,
               "windows": len(rows), "passed": passed, "worst_instant_deviation": worst["instant_deviation"],
               "smoke": bool(args.smoke)}  # fmt: skip
    (out / f"meters-{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'PASS' if passed else 'FAIL'}: instantaneous-power energy within {100 * TOLERANCE:g} % of the counter "
          f"on {sum(r['pass'] for r in rows)} of {len(rows)} windows (worst {100 * worst['instant_deviation']:+.2f} %); "
          f"files in {out}")  # fmt: skip
    if not passed and not args.smoke:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("meters", help="counter vs instantaneous power on the same windows, one model")
    m.add_argument("--model", choices=sorted(CONFIGS), default="llama-3.2-1b")
    m.add_argument("-o", "--output", default="gpu-validation", help="folder for the result files")
    m.add_argument("--windows", type=float, nargs="+", default=[5.0, 10.0, 20.0], help="window lengths, s")
    m.add_argument("--repeats", type=int, default=3)
    m.add_argument("--cooldown", type=float, default=2.0, help="s between windows")
    m.add_argument("--batch-size", type=int, default=16)
    m.add_argument("--new-tokens", type=int, default=64)
    m.add_argument(
        "--smoke", action="store_true", help="a tiny model on CPU with estimate meters (flow only)"
    )
    p = sub.add_parser("models", help="random-init 0.5B/1B/3B/8B profiles through tco measure")
    p.add_argument("-o", "--output", default="gpu-validation", help="folder for the profiles")
    p.add_argument("--only", nargs="*", choices=sorted(CONFIGS), help="a subset of the architectures")
    p.add_argument("--batch-sizes", default="1,8,32")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--tmp", default=None, help="where to save the random-init checkpoints (16 GB for 8B)")
    p.add_argument("--smoke", action="store_true", help="a tiny config on CPU, to check the script itself")
    args = ap.parse_args()
    run_meters(args) if args.cmd == "meters" else run_models(args)


if __name__ == "__main__":
    main()
