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


def test_pad_id_tokens_before_eos_are_real_output() -> None:
    # a random T5 emits its pad id (0) as ordinary output; only what follows EOS (2) is padding
    rows = [[0, 0, 5, 2, 0, 0], [7, 0, 0, 0, 0, 0], [0, 0, 0]]
    assert Engine._count(rows, eos=2, pad=0) == [4, 6, 3]
    assert Engine._count([[5, 2, 2]], eos=[2, 9], pad=2) == [2]  # pad = eos (causal LMs)


def test_random_seq2seq_reports_its_output_tokens(tiny_models: dict[str, Path]) -> None:
    engine = Engine(load_model(str(tiny_models["seq2seq"])), get_task("qa"), max_new_tokens=5)
    r = engine.run(PROMPTS)
    assert all(1 <= n <= 5 for n in r.output_tokens)


def test_too_old_transformers_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tiny_models: dict[str, Path]
) -> None:
    import transformers

    monkeypatch.setattr(transformers, "__version__", "4.44.2")
    with pytest.raises(ModelLoadError) as e:
        load_model(str(tiny_models["causal-lm"]))
    assert str(e.value) == (
        "transformers: transformers 4.44.2 is too old, expected 4.56 or newer (pip install 'transformers>=4.56')"
    )


def test_declared_transformers_floor_supports_dtype_keyword() -> None:
    import tomllib

    from measure.models import TRANSFORMERS_MIN_VERSION, version_tuple

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    (req,) = [
        r for r in pyproject["project"]["optional-dependencies"]["measure"] if r.startswith("transformers")
    ]
    assert version_tuple(req.split(">=")[1]) >= TRANSFORMERS_MIN_VERSION
    assert version_tuple("4.56.0.dev0") == (4, 56, 0)


def test_weights_missing_from_the_checkpoint_are_reported(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "partial"
    import shutil

    shutil.copytree(tiny_models["classifier"], folder)
    weights = load_file(folder / "model.safetensors")
    save_file(
        {k: v for k, v in weights.items() if not k.startswith("classifier.")}, folder / "model.safetensors"
    )
    assert load_model(str(folder)).newly_initialised == ["classifier.bias", "classifier.weight"]
    assert load_model(str(tiny_models["classifier"])).newly_initialised == []
