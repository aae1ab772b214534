"""Write the CodeCarbon CSVs of this folder with a real CodeCarbon run (see README.md here).

Run with CodeCarbon installed (not a test dependency): `python make_csvs.py` in this folder. CPU runs use
this machine as it is (no readable RAPL: CodeCarbon falls back to its TDP x CPU-load estimate); the GPU
runs put tests/measure/fake_pynvml.py, extended below by the few pynvml calls CodeCarbon makes that slm-tco
does not, in place of pynvml before CodeCarbon is imported, so CodeCarbon's own NVML code reads fake GPUs
(each draws 300 W); a stand-in `nvidia-smi` on PATH answers CodeCarbon's check for an NVIDIA system.
"""

from __future__ import annotations

import ctypes
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))  # tests/measure: fake_pynvml
GPU_MODE = "--gpu" in sys.argv


def fake_gpus(names: list[str]) -> None:
    import fake_pynvml

    class Memory(ctypes.Structure):
        _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]

    class Utilization:
        gpu = 90
        memory = 40

    # 300 W on every GPU: the energy counter advances 300 J per second of wall time
    gpus = [fake_pynvml.FakeGpu(n, energy_mj=0, power_mw=300_000) for n in names]
    fake = fake_pynvml.FakeNvml(gpus)
    start = time.perf_counter()

    def energy(handle: object) -> int:
        fake._dev(handle)
        return int((time.perf_counter() - start) * 300_000)

    m = fake.module
    m.NVML_TEMPERATURE_GPU = 0
    m.c_nvmlMemory_t = Memory
    m.nvmlDeviceGetTotalEnergyConsumption = energy
    m.nvmlDeviceGetTemperature = lambda h, sensor: 60
    m.nvmlDeviceGetMemoryInfo = lambda h: Memory(80 << 30, 40 << 30, 40 << 30)
    m.nvmlDeviceGetEnforcedPowerLimit = lambda h: 700_000
    m.nvmlDeviceGetUtilizationRates = lambda h: Utilization()
    m.nvmlDeviceGetComputeMode = lambda h: 0
    m.nvmlDeviceGetGraphicsRunningProcesses = lambda h: []
    sys.modules["pynvml"] = m


def work(seconds: float) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sum(i * i for i in range(1000))


def run(out: str, seconds: float, *, mode: str = "machine", pue: float = 1.0, project: str = "serve") -> None:
    from codecarbon import OfflineEmissionsTracker

    tracker = OfflineEmissionsTracker(
        country_iso_code="FRA", output_dir=str(HERE), output_file=out, tracking_mode=mode, pue=pue,
        measure_power_secs=1, project_name=project, log_level="error",
    )  # fmt: skip
    tracker.start()
    work(seconds)
    tracker.stop()


if __name__ == "__main__":
    if GPU_MODE:  # one process per GPU set: CodeCarbon reads its GPUs once, at import
        names = sys.argv[sys.argv.index("--gpu") + 1].split(",")
        fake_gpus(names)
        run(sys.argv[-1], 3, project="gpu", pue=1.2 if "h100x2" in sys.argv[-1] else 1.0)
    else:
        import os
        import stat
        import subprocess
        import tempfile

        for name in (
            "machine-pue1.5.csv",
            "process.csv",
            "three-runs.csv",
            "gpu-h100x2.csv",
            "gpu-mixed.csv",
        ):
            (HERE / name).unlink(missing_ok=True)
        run("machine-pue1.5.csv", 3, pue=1.5, project="machine-pue")
        run("process.csv", 3, mode="process", project="process")
        for i in range(3):
            run("three-runs.csv", 2 + i, project=f"run{i}")
        bin_dir = Path(tempfile.mkdtemp())
        smi = bin_dir / "nvidia-smi"
        smi.write_text("#!/bin/sh\nexit 0\n")
        smi.chmod(smi.stat().st_mode | stat.S_IXUSR)
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        for gpus, out in (("NVIDIA H100 80GB HBM3,NVIDIA H100 80GB HBM3", "gpu-h100x2.csv"),
                          ("NVIDIA H100 80GB HBM3,NVIDIA A100-SXM4-40GB", "gpu-mixed.csv")):  # fmt: skip
            subprocess.run([sys.executable, __file__, "--gpu", gpus, out], check=True, env=env)
