"""The fake pynvml must obey the real module's contract: names, error classes and codes."""

from __future__ import annotations

import inspect

import fake_pynvml
import pytest

real = pytest.importorskip("pynvml")


def test_error_classes_match_real_names_and_codes() -> None:
    for name, code in fake_pynvml.ERROR_CODES.items():
        assert getattr(real, name) == code
    for class_name in fake_pynvml.ERROR_CLASSES:
        assert issubclass(getattr(real, class_name), real.NVMLError)
    assert (
        type(real.NVMLError(3)).__name__
        == type(fake_pynvml.NVMLError(3)).__name__
        == "NVMLError_NotSupported"
    )
    assert str(fake_pynvml.NVMLError(3)) == str(real.NVMLError(3)) == "Not Supported"
    assert fake_pynvml.NVMLError(12).value == real.NVMLError(12).value == 12


def test_functions_exist_in_real_module_with_same_arity() -> None:
    fake = fake_pynvml.FakeNvml([fake_pynvml.FakeGpu("X")])
    for name in dir(fake.module):
        if name.startswith("nvml"):
            ours = inspect.signature(getattr(fake.module, name)).parameters
            theirs = inspect.signature(getattr(real, name)).parameters
            assert len(ours) == len(theirs), name
    assert fake.module.NVML_DEVICE_MIG_ENABLE == real.NVML_DEVICE_MIG_ENABLE


def test_calls_before_init_raise_uninitialized() -> None:
    fake = fake_pynvml.FakeNvml([fake_pynvml.FakeGpu("X")])
    with pytest.raises(fake.module.NVMLError_Uninitialized):
        fake.module.nvmlDeviceGetCount()


def test_field_values_match_the_real_structure_and_constants() -> None:
    assert fake_pynvml.NVML_FI_DEV_POWER_INSTANT == real.NVML_FI_DEV_POWER_INSTANT
    assert fake_pynvml.NVML_FI_DEV_POWER_AVERAGE == real.NVML_FI_DEV_POWER_AVERAGE
    assert fake_pynvml.NVML_VALUE_TYPE_UNSIGNED_INT == real.NVML_VALUE_TYPE_UNSIGNED_INT
    assert [f[0] for f in fake_pynvml.c_nvmlFieldValue_t._fields_] == [
        f[0] for f in real.c_nvmlFieldValue_t._fields_
    ]
    assert [f[0] for f in fake_pynvml.c_nvmlValue_t._fields_] == [f[0] for f in real.c_nvmlValue_t._fields_]
    fake = fake_pynvml.FakeNvml([fake_pynvml.FakeGpu("X", power_mw=61_500)])
    fake.module.nvmlInit()
    h = fake.module.nvmlDeviceGetHandleByIndex(0)
    (v,) = fake.module.nvmlDeviceGetFieldValues(h, [real.NVML_FI_DEV_POWER_INSTANT])
    assert (v.nvmlReturn, v.value.uiVal, v.valueType) == (real.NVML_SUCCESS, 61_500, 1)
    (bad,) = fake.module.nvmlDeviceGetFieldValues(h, [1])  # a field this fake does not know
    assert bad.nvmlReturn == real.NVML_ERROR_NOT_SUPPORTED  # per field, not raised: as NVML does
