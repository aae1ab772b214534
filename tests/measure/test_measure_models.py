from __future__ import annotations

from pathlib import Path

import pytest

from measure.models import Engine, ModelLoadError, detect_kind, load_model
from measure.tasks import Prompt, get_task
from tco.errors import InputError

PROMPTS = [Prompt("a", "A lovely film.", ("positive",)), Prompt("b", "Awful, boring.", ("negative",))]


@pytest.mark.parametrize(
    ("kind", "parameters"), [("causal-lm", 12592), ("seq2seq", 10480), ("classifier", 15906)]
)
def test_loads_each_kind_from_pretrained(tiny_models: dict[str, Path], kind: str, parameters: int) -> None:
    loaded = load_model(str(tiny_models[kind]))
    assert loaded.kind == kind
    assert loaded.parameters == parameters
    assert (loaded.device, loaded.dtype, loaded.cuda_ordinals) == ("cpu", "float32", [])
    assert loaded.name == kind  # a local folder is named by its folder


@pytest.mark.parametrize("kind", ["causal-lm", "seq2seq"])
def test_fixed_output_length_generates_exactly_max_new_tokens(
    tiny_models: dict[str, Path], kind: str
) -> None:
    engine = Engine(
        load_model(str(tiny_models[kind])), get_task("sentiment"), max_new_tokens=6, fixed_output_length=True
    )
    r = engine.run(PROMPTS)
    assert r.output_tokens == [6, 6]
    assert len(r.outputs) == 2
    assert r.ttft_s is not None and r.tpot_s is not None
    assert r.ttft_s <= r.latency_s


def test_input_tokens_are_unpadded_counts(tiny_models: dict[str, Path]) -> None:
    loaded = load_model(str(tiny_models["causal-lm"]))
    engine = Engine(loaded, get_task("sentiment"), max_new_tokens=2)
    texts = engine.texts(PROMPTS)
    want = [len(loaded.tokenizer(t)["input_ids"]) for t in texts]
    assert engine.run(PROMPTS).input_tokens == want


def test_classifier_outputs_labels(tiny_models: dict[str, Path]) -> None:
    engine = Engine(load_model(str(tiny_models["classifier"])), get_task("sentiment"), max_new_tokens=1)
    r = engine.run(PROMPTS)
    assert set(r.outputs) <= {"positive", "negative"}
    assert r.output_tokens == [0, 0]
    assert (r.ttft_s, r.tpot_s) == (None, None)


def test_kind_override_and_detection(tiny_models: dict[str, Path]) -> None:
    from transformers import AutoConfig

    assert detect_kind(AutoConfig.from_pretrained(tiny_models["seq2seq"])) == "seq2seq"
    with pytest.raises(ModelLoadError) as e:
        load_model(str(tiny_models["causal-lm"]), kind="poem")
    assert str(e.value) == "kind: unknown kind 'poem', expected one of auto, causal-lm, seq2seq, classifier"


def test_missing_model_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as e:
        load_model(str(tmp_path / "nowhere"))
    assert str(e.value).startswith(f"model: cannot load model '{tmp_path / 'nowhere'}': ")
    assert "\n" not in str(e.value)


def test_cuda_device_without_gpu_is_refused(tiny_models: dict[str, Path]) -> None:
    with pytest.raises(InputError) as e:
        load_model(str(tiny_models["causal-lm"]), device="cuda")
    assert str(e.value) == "device: device 'cuda' asked for, but torch sees no CUDA GPU"
