"""A fake `pynvml` (nvidia-ml-py) obeying the real contract: the same function names, NVMLError subclasses
built from NVML_ERROR_* codes the way the real module builds them (`NVMLError(3)` is an
`NVMLError_NotSupported`), energy in mJ (int, monotonic), power in mW (int), names as str, calls before
`nvmlInit` raising NVMLError_Uninitialized. `nvmlDeviceGetFieldValues` returns field-value structures as the
real one does (ctypes `c_nvmlFieldValue_t` with `fieldId`, `timestamp` in µs, `nvmlReturn` per field and
the value in the `value` union, `uiVal` for power in mW): a field the GPU does not support comes back with
`nvmlReturn = NVML_ERROR_NOT_SUPPORTED` in the structure, not as a raised error.
tests/measure/meters/test_fake_pynvml.py checks it against the installed real module."""

from __future__ import annotations

import ctypes
import string
import types
from dataclasses import dataclass, field
from typing import Any

NVML_SUCCESS = 0
ERROR_CODES = {
    "NVML_ERROR_UNINITIALIZED": 1,
    "NVML_ERROR_INVALID_ARGUMENT": 2,
    "NVML_ERROR_NOT_SUPPORTED": 3,
    "NVML_ERROR_NO_PERMISSION": 4,
    "NVML_ERROR_NOT_FOUND": 6,
    "NVML_ERROR_DRIVER_NOT_LOADED": 9,
    "NVML_ERROR_LIBRARY_NOT_FOUND": 12,
    "NVML_ERROR_FUNCTION_NOT_FOUND": 13,
    "NVML_ERROR_GPU_IS_LOST": 15,
    "NVML_ERROR_UNKNOWN": 999,
}
STRINGS = {
    1: "Uninitialized",
    2: "Invalid Argument",
    3: "Not Supported",
    4: "Insufficient Permissions",
    6: "Not Found",
    9: "Driver Not Loaded",
    12: "NVML Shared Library Not Found",
    13: "Function Not Found",
    15: "GPU is lost",
    999: "Unknown Error",
}
NVML_DEVICE_MIG_DISABLE = 0
NVML_DEVICE_MIG_ENABLE = 1
NVML_FI_DEV_POWER_AVERAGE = 185
NVML_FI_DEV_POWER_INSTANT = 186
NVML_VALUE_TYPE_UNSIGNED_INT = 1


class c_nvmlValue_t(ctypes.Union):
    _fields_ = [
        ("dVal", ctypes.c_double),
        ("uiVal", ctypes.c_uint),
        ("ulVal", ctypes.c_ulong),
        ("ullVal", ctypes.c_ulonglong),
        ("sllVal", ctypes.c_longlong),
        ("siVal", ctypes.c_int),
        ("usVal", ctypes.c_ushort),
    ]


class c_nvmlFieldValue_t(ctypes.Structure):
    _fields_ = [
        ("fieldId", ctypes.c_uint32),
        ("scopeId", ctypes.c_uint32),
        ("timestamp", ctypes.c_int64),
        ("latencyUsec", ctypes.c_int64),
        ("valueType", ctypes.c_uint),
        ("nvmlReturn", ctypes.c_uint),
        ("value", c_nvmlValue_t),
    ]


@dataclass(frozen=True)
class FakeProcess:
    """As pynvml's c_nvmlProcessInfo_t: pid and usedGpuMemory (bytes)."""

    pid: int
    usedGpuMemory: int = 1 << 30


class NVMLError(Exception):
    """As in pynvml: `NVMLError(code)` returns an instance of the subclass for `code`, with `.value`."""

    _valClassMapping: dict[int, type] = {}  # noqa: RUF012  (as in pynvml)
    value: int

    def __new__(cls, value: int) -> NVMLError:
        if cls is NVMLError:
            cls = NVMLError._valClassMapping.get(value, cls)
        obj = Exception.__new__(cls)
        obj.value = value
        return obj

    def __init__(self, value: int) -> None:
        super().__init__(value)

    def __str__(self) -> str:
        return STRINGS.get(self.value, f"NVML Error with code {self.value}")


def _error_classes() -> dict[str, type]:
    out: dict[str, type] = {}
    for err_name, val in ERROR_CODES.items():
        class_name = "NVMLError_" + string.capwords(err_name.replace("NVML_ERROR_", ""), "_").replace("_", "")
        cls = type(class_name, (NVMLError,), {})
        NVMLError._valClassMapping[val] = cls
        out[class_name] = cls
    return out


ERROR_CLASSES = _error_classes()


@dataclass
class FakeGpu:
    """One GPU: a counter in mJ advanced by `energy_step_mj` after every read, a power reading in mW."""

    name: str
    energy_mj: int = 0
    power_mw: int = 50_000
    energy_step_mj: int = 100
    supports_energy: bool = True  # False: NotSupported (pre-Volta)
    supports_power: bool = True
    mig_mode: int | None = NVML_DEVICE_MIG_DISABLE  # None: NotSupported (pre-Ampere)
    uuid: str = ""
    power_trace_mw: list[int] = field(default_factory=list)  # consumed first, one value a read
    supports_instant: bool = True  # False: the field comes back NOT_SUPPORTED (older GPU or driver)
    instant_power_mw: int | None = None  # default: power_mw
    # consumed first, one value a read; None: that read's field comes back NOT_SUPPORTED (a transient)
    instant_trace_mw: list[int | None] = field(default_factory=list)
    processes: list[FakeProcess] = field(default_factory=list)


@dataclass(frozen=True)
class FakeHandle:
    index: int
    mig_instance: str | None = None


class FakeNvml:
    """The fake library's state and the module object that exposes it as `pynvml`."""

    def __init__(self, devices: list[FakeGpu], *, driver: str = "550.54.15") -> None:
        self.devices = devices
        for i, d in enumerate(devices):
            d.uuid = d.uuid or f"GPU-{i:08d}-aaaa-bbbb-cccc-dddddddddddd"
        self.driver = driver
        self.init_error: int | None = None  # an NVML_ERROR_* code nvmlInit raises
        self.initialised = 0
        self.calls: list[str] = []
        self.module = self._module()

    # -- helpers
    def _check(self) -> None:
        if self.initialised <= 0:
            raise NVMLError(ERROR_CODES["NVML_ERROR_UNINITIALIZED"])

    def _dev(self, handle: Any) -> FakeGpu:
        self._check()
        if not isinstance(handle, FakeHandle) or not 0 <= handle.index < len(self.devices):
            raise NVMLError(ERROR_CODES["NVML_ERROR_INVALID_ARGUMENT"])
        return self.devices[handle.index]

    def _module(self) -> types.ModuleType:
        m = types.ModuleType("pynvml")
        m.__dict__.update(ERROR_CODES)
        m.__dict__.update(ERROR_CLASSES)
        m.NVMLError = NVMLError  # type: ignore[attr-defined]
        m.NVML_SUCCESS = NVML_SUCCESS  # type: ignore[attr-defined]
        m.NVML_DEVICE_MIG_ENABLE = NVML_DEVICE_MIG_ENABLE  # type: ignore[attr-defined]
        m.NVML_DEVICE_MIG_DISABLE = NVML_DEVICE_MIG_DISABLE  # type: ignore[attr-defined]
        m.NVML_FI_DEV_POWER_AVERAGE = NVML_FI_DEV_POWER_AVERAGE  # type: ignore[attr-defined]
        m.NVML_FI_DEV_POWER_INSTANT = NVML_FI_DEV_POWER_INSTANT  # type: ignore[attr-defined]
        m.NVML_VALUE_TYPE_UNSIGNED_INT = NVML_VALUE_TYPE_UNSIGNED_INT  # type: ignore[attr-defined]
        m.c_nvmlFieldValue_t = c_nvmlFieldValue_t  # type: ignore[attr-defined]
        for name in dir(self):
            if name.startswith("nvml"):
                setattr(m, name, getattr(self, name))
        return m

    # -- the pynvml functions the meters use
    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        self.initialised += 1

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")
        self._check()
        self.initialised -= 1

    def nvmlSystemGetDriverVersion(self) -> str:
        self._check()
        return self.driver

    def nvmlDeviceGetCount(self) -> int:
        self._check()
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeHandle:
        self._check()
        if not 0 <= index < len(self.devices):
            raise NVMLError(ERROR_CODES["NVML_ERROR_INVALID_ARGUMENT"])
        return FakeHandle(index)

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> FakeHandle:
        self._check()
        for i, d in enumerate(self.devices):
            if d.uuid == uuid:
                return FakeHandle(i)
            if uuid.startswith("MIG-") and uuid.endswith(d.uuid[4:]):
                return FakeHandle(i, mig_instance=uuid)
        raise NVMLError(ERROR_CODES["NVML_ERROR_NOT_FOUND"])

    def nvmlDeviceGetDeviceHandleFromMigDeviceHandle(self, handle: FakeHandle) -> FakeHandle:
        self._dev(handle)
        if handle.mig_instance is None:
            raise NVMLError(ERROR_CODES["NVML_ERROR_INVALID_ARGUMENT"])
        return FakeHandle(handle.index)

    def nvmlDeviceGetUUID(self, handle: FakeHandle) -> str:
        return self._dev(handle).uuid

    def nvmlDeviceGetName(self, handle: FakeHandle) -> str:
        return self._dev(handle).name

    def nvmlDeviceGetMigMode(self, handle: FakeHandle) -> list[int]:
        d = self._dev(handle)
        if d.mig_mode is None:
            raise NVMLError(ERROR_CODES["NVML_ERROR_NOT_SUPPORTED"])
        return [d.mig_mode, d.mig_mode]

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: FakeHandle) -> int:
        d = self._dev(handle)
        if not d.supports_energy:
            raise NVMLError(ERROR_CODES["NVML_ERROR_NOT_SUPPORTED"])
        value = d.energy_mj
        d.energy_mj += d.energy_step_mj
        return int(value)

    def nvmlDeviceGetPowerUsage(self, handle: FakeHandle) -> int:
        d = self._dev(handle)
        if not d.supports_power:
            raise NVMLError(ERROR_CODES["NVML_ERROR_NOT_SUPPORTED"])
        if d.power_trace_mw:
            return int(d.power_trace_mw.pop(0))
        return int(d.power_mw)

    def nvmlDeviceGetIndex(self, handle: FakeHandle) -> int:
        self._dev(handle)
        return handle.index

    def nvmlDeviceGetComputeRunningProcesses(self, handle: FakeHandle) -> list[FakeProcess]:
        return list(self._dev(handle).processes)

    def nvmlDeviceGetFieldValues(self, handle: FakeHandle, fieldIds: list[int]) -> Any:
        d = self._dev(handle)
        values = (c_nvmlFieldValue_t * len(fieldIds))()
        for i, field_id in enumerate(fieldIds):
            v = values[i]
            v.fieldId = field_id
            v.timestamp = 1_700_000_000_000_000 + len(self.calls)  # µs
            v.valueType = NVML_VALUE_TYPE_UNSIGNED_INT
            if (
                field_id not in (NVML_FI_DEV_POWER_INSTANT, NVML_FI_DEV_POWER_AVERAGE)
                or not d.supports_instant
            ):
                v.nvmlReturn = ERROR_CODES["NVML_ERROR_NOT_SUPPORTED"]
                continue
            if d.instant_trace_mw:
                reading = d.instant_trace_mw.pop(0)
                if reading is None:  # a transient NotSupported, as drivers give now and then under load
                    v.nvmlReturn = ERROR_CODES["NVML_ERROR_NOT_SUPPORTED"]
                    continue
            else:
                reading = d.instant_power_mw if d.instant_power_mw is not None else d.power_mw
            v.nvmlReturn = NVML_SUCCESS
            v.value.uiVal = reading
        return values


PCI_ORDER = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}  # env under which CUDA and NVML number GPUs alike
