"""Fixtures of the measure tests: tiny random-initialised models of each kind saved with `save_pretrained`,
a fake pynvml module obeying the real contract, and a fake RAPL sysfs tree."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # fake_pynvml.py, shared by tests in sub-folders

import fake_pynvml

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]


def _tokenizer(folder: Path) -> None:
    """A tiny byte-level BPE tokenizer trained on the shipped prompts (vocabulary 320)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from measure.tasks import TASKS, load_shipped_prompts

    texts = [p.input for t in TASKS.values() for p in load_shipped_prompts(t)]
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tk.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tk,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        model_input_names=["input_ids", "attention_mask"],
    )
    fast.save_pretrained(folder)


def _ids() -> dict[str, int]:
    return {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Folders of a tiny causal LM (Llama), seq2seq (T5) and classifier (BERT), random weights, seed 0."""
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        LlamaConfig,
        LlamaForCausalLM,
        T5Config,
        T5ForConditionalGeneration,
    )

    root = tmp_path_factory.mktemp("tiny-models")
    torch.manual_seed(0)
    vocab = 320
    folders = {k: root / k for k in ("causal-lm", "seq2seq", "classifier")}
    causal = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=vocab,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
            max_position_embeddings=512,
            **_ids(),
        )
    )
    seq2seq = T5ForConditionalGeneration(
        T5Config(
            vocab_size=vocab,
            d_model=16,
            d_ff=32,
            d_kv=8,
            num_layers=1,
            num_decoder_layers=1,
            num_heads=2,
            decoder_start_token_id=0,
            pad_token_id=0,
            eos_token_id=2,
        )
    )
    classifier = BertForSequenceClassification(
        BertConfig(
            vocab_size=vocab,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=512,
            num_labels=2,
            id2label={0: "NEGATIVE", 1: "POSITIVE"},
            label2id={"NEGATIVE": 0, "POSITIVE": 1},
            pad_token_id=0,
        )
    )
    for kind, model in (("causal-lm", causal), ("seq2seq", seq2seq), ("classifier", classifier)):
        model.save_pretrained(folders[kind])
        _tokenizer(folders[kind])
    return folders


@pytest.fixture
def fake_nvml(monkeypatch: pytest.MonkeyPatch) -> Iterator[fake_pynvml.FakeNvml]:
    """A fake `pynvml` installed in sys.modules, with two GPUs; tests reconfigure `.devices`."""
    fake = fake_pynvml.FakeNvml(
        [
            fake_pynvml.FakeGpu("NVIDIA L4", energy_mj=1_000_000, power_mw=35_000, energy_step_mj=500),
            fake_pynvml.FakeGpu("NVIDIA L4", energy_mj=2_000_000, power_mw=40_000, energy_step_mj=700),
        ]
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake.module)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    yield fake


def write_rapl_zone(
    root: Path, folder: str, name: str, energy_uj: int, max_uj: int = 262_143_328_850
) -> Path:
    """One powercap zone folder with `name`, `energy_uj` and `max_energy_range_uj`."""
    zone = root / folder
    zone.mkdir(parents=True, exist_ok=True)
    (zone / "name").write_text(name + "\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return zone


@pytest.fixture
def rapl_root(tmp_path: Path) -> Path:
    """A fake /sys/class/powercap: psys, package-0 (with core, uncore, dram) and package-1 (with dram)."""
    root = tmp_path / "powercap"
    write_rapl_zone(root, "intel-rapl:0", "package-0", 10_000_000)
    write_rapl_zone(root, "intel-rapl:0:0", "core", 5_000_000)
    write_rapl_zone(root, "intel-rapl:0:1", "uncore", 1_000_000)
    write_rapl_zone(root, "intel-rapl:0:2", "dram", 3_000_000, max_uj=65_712_999_613)
    write_rapl_zone(root, "intel-rapl:1", "package-1", 20_000_000)
    write_rapl_zone(root, "intel-rapl:1:0", "dram", 4_000_000, max_uj=65_712_999_613)
    write_rapl_zone(root, "intel-rapl:2", "psys", 90_000_000)
    write_rapl_zone(root, "intel-rapl-mmio:0", "package-0", 10_000_000)
    return root
