"""Hostile input files for `tco import mlenergy` and `tco import codecarbon`: each case writes one file (or a
FIFO, or names a device) and says the line it must be refused with. Shared by the importer tests and, as
seeds, by their fuzzer."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[3]
MLENERGY_SOURCE = (
    ROOT / "profiles" / "sources" / "mlenergy-leaderboard-v3" / "models" / "Qwen__Qwen3-8B__gpqa.json"
)

CODECARBON_HEADER = (
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
    "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,"
    "cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,"
    "longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue"
)
CODECARBON_ROW = (
    "2025-03-02T10:15:00,serve,run-b,exp,600.0,0.0123,2.05e-05,42.5,280.0,11.7,0.00708,0.0466,0.00195,"
    "0.05563,United States,USA,virginia,,,Linux-6.8,3.11.9,2.8.3,32,AMD EPYC 7R13 Processor,1,"
    "NVIDIA H100 80GB HBM3,-77.4,38.9,251.5,machine,N,1.0"
)


def mlenergy_document() -> dict[str, Any]:
    """A real v3 file (Qwen3-8B on GPQA, two GPU setups), as parsed."""
    doc: dict[str, Any] = json.loads(MLENERGY_SOURCE.read_text())
    return doc


def _json(path: Path, change: Callable[[dict[str, Any]], Any]) -> Path:
    doc = copy.deepcopy(mlenergy_document())
    change(doc)
    path.write_text(json.dumps(doc))
    return path


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["configurations"][0][key] = value

    return change


def _counts(doc: dict[str, Any]) -> None:
    doc["configurations"][0]["output_length_distribution"]["counts"][0] = -5


def _text(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _sparse(path: Path) -> Path:
    with path.open("wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB, nothing written
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)  # nobody writes it: a read would wait for ever
    return path


def _csv(path: Path, *rows: str, header: str = CODECARBON_HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join([header, *rows]).encode(encoding) + b"\n")
    return path


# name -> (make the file in a folder, the message after "error: <file>: ")
MLENERGY: dict[str, tuple[Callable[[Path], Path], str]] = {
    "count-as-text": (lambda d: _json(d / "f.json", _set("max_num_seqs", "8")),
                      "configurations[0].max_num_seqs: Input should be a valid integer"),
    "null-count": (lambda d: _json(d / "f.json", _set("num_gpus", None)),
                   "configurations[0].num_gpus: Input should be a valid integer"),
    "infinity": (lambda d: _text(d / "f.json", json.dumps(mlenergy_document()).replace(
        '"energy_per_request_joules": 9706.6138467097', '"energy_per_request_joules": Infinity', 1)),
        "configurations[0].energy_per_request_joules: Input should be a finite number, got inf"),
    "count-1e30": (lambda d: _json(d / "f.json", _set("num_gpus", 1e30)),
                   "configurations[0].num_gpus: Input should be a valid integer, got 1e+30"),
    "negative-gpus": (lambda d: _json(d / "f.json", _set("num_gpus", -1)),
                      "configurations[0].num_gpus: Input should be greater than or equal to 1, got -1"),
    "negative-histogram-count": (lambda d: _json(d / "f.json", _counts),
                                 "configurations[0].output_length_distribution.counts[0]: Input should be "
                                 "greater than or equal to 0, got -5"),
    "nested-100000-deep": (lambda d: _text(d / "f.json", "[" * 100_000 + "]" * 100_000),
                           "nested more than 8 levels deep at line 1, column 9, expected a flatter JSON file"),
    "empty": (lambda d: _text(d / "f.json", ""), "not valid JSON: Expecting value at line 1, column 1"),
    "sparse-2-gb": (lambda d: _sparse(d / "f.json"), "file is 2,147,483,648 bytes, expected at most 20,971,520"),
    "fifo": (lambda d: _fifo(d / "f.json"), "is a named pipe (FIFO), expected a regular ML.ENERGY v3 JSON file"),
    "dev-zero": (lambda d: Path("/dev/zero"), "is a character device, expected a regular ML.ENERGY v3 JSON file"),
    "binary": (lambda d: _text(d / "f.json", bytes(range(128, 256)) * 10),
               "byte 0 (line 1, column 1) is not UTF-8, expected an ML.ENERGY v3 JSON file saved as UTF-8"),
    "control-character": (lambda d: _text(d / "f.json", '{"model_id": "a\x07b"}'),
                          "control character U+0007 at line 1, column 16, expected an ML.ENERGY v3 JSON file "
                          "of plain text"),
    "latin-1": (lambda d: _text(d / "f.json", '{"model_id": "Qwén"}'.encode("latin-1")),
                "byte 16 (line 1, column 17) is not UTF-8, expected an ML.ENERGY v3 JSON file saved as UTF-8"),
    "duplicate-key": (lambda d: _text(d / "f.json", '{"task": "a", "task": "b"}'),
                      "not valid JSON: an object holds 'task' twice, expected each key once"),
    "unknown-field": (lambda d: _json(d / "f.json", _set("energy_per_request_kwh", 1.0)),
                      "configurations[0].energy_per_request_kwh: unknown field, check the spelling against the "
                      "format in README.md"),
    "secret-key": (lambda d: _text(d / "f.json", '{"root:$6$hash": 1}'),
                   "a key that is not a field name of this format (its text is not shown) (and 4 more problems)"),
    "a-list": (lambda d: _text(d / "f.json", "[1, 2]"),
               "expected a JSON object with model_id, task and configurations, got a list"),
    "huge-text": (lambda d: _json(d / "f.json", lambda doc: doc.update(model_id="x" * 1_000_000)),
                  "model_id: String should have at most 300 characters"),
    "no-configurations": (lambda d: _json(d / "f.json", lambda doc: doc.update(configurations=[])),
                          "configurations: List should have at least 1 item after validation, not 0"),
    "bins-not-increasing": (lambda d: _json(d / "f.json", lambda doc: doc["configurations"][0][
        "output_length_distribution"]["bins"].reverse()),
        "configurations[0].output_length_distribution: bin edges not increasing, expected each edge above the "
        "one before"),
    "unknown-gpu": (lambda d: _json(d / "f.json", _set("gpu_model", "TPU")),
                    "configurations[0].gpu_model: a GPU without hardware data (not shown), expected one of "
                    "H100, B200"),
}  # fmt: skip

CODECARBON: dict[str, tuple[Callable[[Path], Path], str]] = {
    "latin-1": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace("Processor", "Procéssor"), encoding="latin-1"),
                "byte 538 (line 2, column 179) is not UTF-8, expected a CodeCarbon emissions.csv saved as UTF-8"),
    "field-of-200000-characters": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace("serve", "x" * 200_000)),
                                   "not a CSV file CodeCarbon writes: field larger than field limit (131072) "
                                   "(line 2)"),
    "field-of-2000-characters": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace("serve", "x" * 2000)),
                                 "line 2, column project_name: 2,000 characters, expected at most 1,000"),
    "negative-gpu-count": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",1,NVIDIA", ",-1,NVIDIA")),
                           "line 2, column gpu_count: Input should be greater than or equal to 0"),
    "fractional-gpu-count": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",1,NVIDIA", ",1.5,NVIDIA")),
                             "line 2, column gpu_count: got 1.5, expected a whole number"),
    "infinite-energy": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",0.0466,", ",inf,")),
                        "line 2, column gpu_energy: expected a finite number"),
    "nan-duration": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",600.0,", ",nan,")),
                     "line 2, column duration: expected a finite number"),
    "text-energy": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",0.0466,", ",lots,")),
                    "line 2, column gpu_energy: expected a number"),
    "negative-energy": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",0.0466,", ",-0.1,")),
                        "line 2, column gpu_energy: Input should be greater than or equal to 0"),
    "a-bad-older-row": (lambda d: _csv(d / "e.csv", CODECARBON_ROW.replace(",600.0,", ",0,"), CODECARBON_ROW),
                        "line 2, column duration: Input should be greater than 0"),
    "short-row": (lambda d: _csv(d / "e.csv", "2025-03-02,serve,run-b"),
                  "line 2: 3 values for 32 columns, expected one value per column"),
    "column-twice": (lambda d: _csv(d / "e.csv", CODECARBON_ROW + ",x", header=CODECARBON_HEADER + ",pue"),
                     "line 1: a column name repeats, expected each column once"),
    "unclosed-quote": (lambda d: _text(d / "e.csv", CODECARBON_HEADER + '\n"2025,x\n'),
                       "line 2: 1 value for 32 columns, expected one value per column"),
    "nul-byte": (lambda d: _text(d / "e.csv", CODECARBON_HEADER + "\n\x00\n"),
                 "control character U+0000 at line 2, column 1, expected a CodeCarbon emissions.csv of plain text"),
    "empty": (lambda d: _text(d / "e.csv", ""), "no header line, expected a CodeCarbon emissions.csv"),
    "header-only": (lambda d: _csv(d / "e.csv"), "no run recorded (the file has only a header)"),
    "not-codecarbon": (lambda d: _text(d / "e.csv", "a,b\n1,2\n"),
                       "missing column(s) duration, energy_consumed, cpu_energy, gpu_energy, ram_energy; expected "
                       "a CodeCarbon emissions.csv"),
    "sparse-2-gb": (lambda d: _sparse(d / "e.csv"), "file is 2,147,483,648 bytes, expected at most 20,971,520"),
    "fifo": (lambda d: _fifo(d / "e.csv"), "is a named pipe (FIFO), expected a regular CodeCarbon emissions.csv"),
    "dev-zero": (lambda d: Path("/dev/zero"), "is a character device, expected a regular CodeCarbon emissions.csv"),
}  # fmt: skip
