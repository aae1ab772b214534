"""For a person with an NVIDIA GPU: validate the meters and measure random-init models of published sizes.

    python benchmarks/gpu_validation.py meters            # counter vs sampled energy on the same windows
    python benchmarks/gpu_validation.py models -o out/    # 0.5B/1B/3B/8B random-init profiles via tco measure
    python benchmarks/gpu_validation.py models --smoke    # the same path with a tiny config, runs on CPU

`meters` opens the NVML energy counter and the NVML sampled-power meter on GPU 0, runs a matmul load for
windows of 1, 5 and 10 s, and prints both energies and their ratio: expect agreement within a few % on 5 s
and longer windows, and a worse match on 1 s ones (the power reading is averaged over ~1 s).

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
                        "--cooldown", "0s", "--idle", "0.5s", "--warmup", "1"]  # fmt: skip
            print(f"== {name}: {' '.join(cli)}")
            result = CliRunner().invoke(app, cli)
            print(result.output)
            if result.exit_code != 0:
                print(f"   exit code {result.exit_code}")


def run_meters(args: argparse.Namespace) -> None:
    import torch

    from measure.meters.nvml_counter import NvmlCounterMeter
    from measure.meters.nvml_sampled import NvmlSampledMeter

    counter = NvmlCounterMeter.open((0,))
    sampled = NvmlSampledMeter.open((0,))
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    print(f"GPU: {', '.join(counter.devices())}, driver {counter.driver()}")
    print(f"{'window s':>9} {'counter J':>10} {'sampled J':>10} {'sampled/counter':>16}")
    try:
        for window_s in (1.0, 5.0, 10.0):
            for _ in range(args.repeats):
                time.sleep(args.cooldown)
                torch.cuda.synchronize()
                counter.start()
                sampled.start()
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < window_s:
                    b = a @ a
                    torch.cuda.synchronize()
                del b
                rs = sampled.stop()
                rc = counter.stop()
                print(
                    f"{window_s:>9.1f} {rc.total_j:>10.2f} {rs.total_j:>10.2f} {rs.total_j / rc.total_j:>16.3f}"
                )
    finally:
        sampled.close()
        counter.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("meters", help="counter vs sampled energy on the same windows")
    m.add_argument("--repeats", type=int, default=3)
    m.add_argument("--cooldown", type=float, default=2.0, help="s between windows")
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
