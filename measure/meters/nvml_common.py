"""What both NVML meters share: importing pynvml lazily, finding the GPUs this process uses, and turning
NVML errors into one-line reasons.

GPU selection: where torch tells each device's UUID (`torch.cuda.get_device_properties(i).uuid`), the GPU is
found in NVML by that UUID, which is exact whatever `CUDA_VISIBLE_DEVICES` and `CUDA_DEVICE_ORDER` say.
Without UUIDs, torch's `cuda:N` is the N-th entry of `CUDA_VISIBLE_DEVICES` (indices, `GPU-` UUIDs or `MIG-`
UUIDs), or NVML index N when the variable is unset; CUDA numbers devices fastest-first unless
`CUDA_DEVICE_ORDER=PCI_BUS_ID` while NVML numbers them in PCI bus order, so with more than one GPU and no
UUID an index is only trusted under `CUDA_DEVICE_ORDER=PCI_BUS_ID` or when torch's name for the device
matches NVML's (`expected_names`); otherwise opening is refused.
Under MIG, NVML reads power and energy of the whole physical GPU, not of one instance: profiles say so.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from measure.meters.base import MeterUnavailable

log = logging.getLogger(__name__)

NVML_DEVICE_MIG_ENABLE = 1  # pynvml.NVML_DEVICE_MIG_ENABLE


def import_pynvml() -> ModuleType:
    """The `pynvml` module (package nvidia-ml-py), imported on first use."""
    try:
        return importlib.import_module("pynvml")
    except ImportError as e:
        raise MeterUnavailable("pynvml is not installed (pip install nvidia-ml-py)") from e


def nvml_reason(nvml: ModuleType, e: BaseException, what: str = "NVML") -> str:
    """One line saying why an NVML call failed, naming what to do where we know."""
    name = type(e).__name__
    if name == "NVMLError_LibraryNotFound":
        return f"{what}: NVML library not found (no NVIDIA driver on this machine)"
    if name == "NVMLError_DriverNotLoaded":
        return f"{what}: the NVIDIA driver is not loaded"
    if name == "NVMLError_NoPermission":
        return f"{what}: permission denied by NVML (run as a user allowed to query the GPU)"
    if name == "NVMLError_NotSupported":
        return f"{what}: not supported"
    return f"{what}: NVML error {getattr(e, 'value', '?')} ({e})"


def is_nvml_error(nvml: ModuleType, e: BaseException) -> bool:
    base = getattr(nvml, "NVMLError", None)
    return isinstance(base, type) and isinstance(e, base)


def is_not_supported(nvml: ModuleType, e: BaseException) -> bool:
    cls = getattr(nvml, "NVMLError_NotSupported", None)
    return isinstance(cls, type) and isinstance(e, cls)


def visible_devices(env: Mapping[str, str]) -> list[str] | None:
    """Entries of CUDA_VISIBLE_DEVICES as CUDA reads them (it stops at the first invalid one); None if unset."""
    raw = env.get("CUDA_VISIBLE_DEVICES")
    if raw is None:
        return None
    out: list[str] = []
    for entry in (e.strip() for e in raw.split(",")):
        if entry.startswith(("GPU-", "MIG-")) or (entry.isdigit()):
            out.append(entry)
        else:
            break
    return out


@dataclass(frozen=True)
class Gpu:
    """One physical GPU as NVML sees it."""

    scope: str  # "gpu0" (NVML index) or "gpu-<uuid prefix>"
    name: str
    handle: Any
    mig: bool

    @property
    def label(self) -> str:
        return f"{self.scope}: {self.name}" + (" (MIG: whole-GPU reading)" if self.mig else "")


def _mig_enabled(nvml: ModuleType, handle: Any) -> bool:
    try:
        current = nvml.nvmlDeviceGetMigMode(handle)[0]
    except Exception as e:
        if is_nvml_error(nvml, e):  # NotSupported on pre-Ampere GPUs; anything else: assume no MIG
            return False
        raise
    return bool(current == getattr(nvml, "NVML_DEVICE_MIG_ENABLE", NVML_DEVICE_MIG_ENABLE))


def normalise_uuid(uuid: str) -> str:
    """torch's UUID text ("58f4...", sometimes with a prefix) as NVML spells it ("GPU-58f4...")."""
    u = uuid.strip()
    return u if u.startswith(("GPU-", "MIG-")) else f"GPU-{u}"


def open_gpus(
    nvml: ModuleType,
    cuda_ordinals: Sequence[int],
    env: Mapping[str, str],
    *,
    uuids: Sequence[str] | None = None,
    expected_names: Sequence[str] | None = None,
) -> list[Gpu]:
    """Initialise NVML and return the physical GPUs behind torch's `cuda:N` devices in `cuda_ordinals`.

    `uuids`: torch's UUID of each device in `cuda_ordinals` (same order): the exact mapping. Without them,
    `expected_names` (torch's device names) are checked against NVML's.

    Raises MeterUnavailable with a one-line reason (no driver, empty CUDA_VISIBLE_DEVICES, unknown index).
    The caller owns the NVML session and must call `nvml.nvmlShutdown()` when done.
    """
    visible = visible_devices(env)
    if visible == []:
        raise MeterUnavailable(
            "CUDA_VISIBLE_DEVICES is empty or invalid, so this process uses no GPU; unset it or list the GPUs"
        )
    try:
        nvml.nvmlInit()
    except Exception as e:
        if is_nvml_error(nvml, e):
            raise MeterUnavailable(nvml_reason(nvml, e, "NVML")) from e
        raise
    try:
        count = int(nvml.nvmlDeviceGetCount())
        if count == 0:
            raise MeterUnavailable("NVML sees no GPU on this machine")
        gpus: list[Gpu] = []
        seen: set[str] = set()
        if uuids is not None and len(uuids) != len(cuda_ordinals):
            raise MeterUnavailable(
                f"got {len(uuids)} device UUID(s) for {len(cuda_ordinals)} CUDA device(s); expected one each"
            )
        for k, ordinal in enumerate(cuda_ordinals):
            if uuids is not None:
                gpu = _gpu_by_uuid(nvml, uuids[k])
            else:
                gpu = _gpu_for(nvml, ordinal, visible, count, env)
                if visible is None or visible[ordinal].isdigit():  # an index: CUDA's order may differ
                    _check_order(gpu, ordinal, count, env, expected_names, k)
            if gpu.scope not in seen:  # two MIG instances of one GPU: count the GPU once
                seen.add(gpu.scope)
                gpus.append(gpu)
        return gpus
    except MeterUnavailable:
        _shutdown(nvml)
        raise
    except Exception as e:
        _shutdown(nvml)
        if is_nvml_error(nvml, e):
            raise MeterUnavailable(nvml_reason(nvml, e, "NVML")) from e
        raise


def _gpu_for(
    nvml: ModuleType, ordinal: int, visible: list[str] | None, count: int, env: Mapping[str, str]
) -> Gpu:
    if visible is None:
        entry = str(ordinal)
    elif ordinal < len(visible):
        entry = visible[ordinal]
    else:
        raise MeterUnavailable(
            f"cuda:{ordinal} is not among CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES', '')!r}"
        )
    if entry.isdigit():
        index = int(entry)
        if index >= count:
            raise MeterUnavailable(f"GPU index {index} does not exist, NVML sees {count} GPU(s)")
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        scope = f"gpu{index}"
        mig = _mig_enabled(nvml, handle)
    elif entry.startswith("MIG-"):
        instance = nvml.nvmlDeviceGetHandleByUUID(entry)
        handle = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(instance)
        scope = f"gpu-{_uuid(nvml, handle)}"
        mig = True
    else:
        handle = nvml.nvmlDeviceGetHandleByUUID(entry)
        scope = f"gpu-{entry[4:12]}"
        mig = _mig_enabled(nvml, handle)
    name = _name(nvml, handle)
    if mig:
        log.warning(
            "%s is in MIG mode: NVML reports the energy of the whole GPU, not of this instance", scope
        )
    return Gpu(scope=scope, name=str(name), handle=handle, mig=mig)


def _gpu_by_uuid(nvml: ModuleType, uuid: str) -> Gpu:
    """The physical GPU with torch's device UUID `uuid` (a MIG instance maps to its parent GPU)."""
    wanted = normalise_uuid(uuid)
    try:
        handle = nvml.nvmlDeviceGetHandleByUUID(wanted)
    except Exception as e:
        if not (is_nvml_error(nvml, e) and type(e).__name__ == "NVMLError_NotFound"):
            raise
        if not wanted.startswith("GPU-"):
            raise MeterUnavailable(f"NVML has no device with UUID {wanted}") from e
        try:  # torch reports a MIG instance's UUID without its MIG- prefix
            handle = nvml.nvmlDeviceGetHandleByUUID("MIG-" + wanted[4:])
        except Exception as e2:
            if is_nvml_error(nvml, e2):
                raise MeterUnavailable(f"NVML has no device with UUID {wanted}") from e2
            raise
        wanted = "MIG-" + wanted[4:]
    mig = wanted.startswith("MIG-")
    if mig:
        handle = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(handle)
    else:
        mig = _mig_enabled(nvml, handle)
    index = int(nvml.nvmlDeviceGetIndex(handle))
    return Gpu(scope=f"gpu{index}", name=_name(nvml, handle), handle=handle, mig=mig)


def _check_order(
    gpu: Gpu,
    ordinal: int,
    count: int,
    env: Mapping[str, str],
    expected_names: Sequence[str] | None,
    k: int,
) -> None:
    """Refuse an index mapping that may name the wrong GPU (see the module docstring)."""
    if expected_names is not None:
        want = expected_names[k]
        if want.strip().lower() != gpu.name.strip().lower():
            raise MeterUnavailable(
                f"cuda:{ordinal} is {want!r} for torch but NVML's {gpu.scope} is {gpu.name!r}; "
                "set CUDA_DEVICE_ORDER=PCI_BUS_ID so that both number GPUs alike"
            )
        return
    if count > 1 and env.get("CUDA_DEVICE_ORDER") != "PCI_BUS_ID":
        raise MeterUnavailable(
            f"cannot tell which of {count} GPUs is cuda:{ordinal} without its UUID or name; "
            "set CUDA_DEVICE_ORDER=PCI_BUS_ID"
        )


def _name(nvml: ModuleType, handle: Any) -> str:
    name = nvml.nvmlDeviceGetName(handle)
    return name.decode() if isinstance(name, bytes) else str(name)  # pynvml < 11.5 returned bytes


def _uuid(nvml: ModuleType, handle: Any) -> str:
    uuid = nvml.nvmlDeviceGetUUID(handle)
    uuid = uuid.decode() if isinstance(uuid, bytes) else str(uuid)
    return uuid.removeprefix("GPU-")[:8]


def _shutdown(nvml: ModuleType) -> None:
    try:
        nvml.nvmlShutdown()
    except Exception as e:  # shutting down after a failure: the first error is the one to report
        log.debug("nvmlShutdown failed: %s", e)


def gpus_of_process(nvml: ModuleType, pid: int | Collection[int]) -> list[int]:
    """NVML indices of the GPUs where process `pid` (or any of several PIDs: a server's process tree)
    runs compute work, as `nvmlDeviceGetComputeRunningProcesses` lists it (a served model's GPUs)."""
    pids = {pid} if isinstance(pid, int) else set(pid)
    try:
        nvml.nvmlInit()
    except Exception as e:
        if is_nvml_error(nvml, e):
            raise MeterUnavailable(nvml_reason(nvml, e, "NVML")) from e
        raise
    try:
        found: list[int] = []
        for i in range(int(nvml.nvmlDeviceGetCount())):
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            if any(int(p.pid) in pids for p in nvml.nvmlDeviceGetComputeRunningProcesses(handle)):
                found.append(i)
        if not found:
            if isinstance(pid, int) or len(pids) == 1:
                raise MeterUnavailable(f"process {min(pids)} runs on no GPU NVML can see")
            listed = ", ".join(map(str, sorted(pids)))
            raise MeterUnavailable(f"none of processes {listed} runs on a GPU NVML can see")
        return found
    except MeterUnavailable:
        raise
    except Exception as e:
        if is_nvml_error(nvml, e):
            raise MeterUnavailable(nvml_reason(nvml, e, "NVML")) from e
        raise
    finally:
        _shutdown(nvml)


def driver_version(nvml: ModuleType) -> str | None:
    """The NVIDIA driver version, or None where NVML cannot tell (NVML must be initialised)."""
    try:
        v = nvml.nvmlSystemGetDriverVersion()
    except Exception as e:
        if is_nvml_error(nvml, e):
            return None
        raise
    return v.decode() if isinstance(v, bytes) else str(v)


class NvmlMeterBase:
    """Holds the NVML module and the GPUs of a meter, and closes the NVML session once."""

    def __init__(self, nvml: ModuleType, gpus: Sequence[Gpu]) -> None:
        self.nvml = nvml
        self.gpus = list(gpus)
        self._closed = False

    def gpu_devices(self) -> list[str]:
        return [g.label for g in self.gpus]

    @property
    def mig(self) -> bool:
        return any(g.mig for g in self.gpus)

    def driver(self) -> str | None:
        return driver_version(self.nvml)

    def close_nvml(self) -> None:
        if not self._closed:
            self._closed = True
            _shutdown(self.nvml)
