"""Reference numbers from a real EcoLogits run, for tests/scenario/test_api_ecologits.py.

    .venv/bin/pip install 'ecologits==0.11.*'      # reference only: not a dependency of slm-tco
    .venv/bin/python scripts/ecologits_reference.py > tests/data/ecologits/reference-0.11.json

Each case calls `ecologits.impacts.llm.compute_llm_impacts` with slm-tco's shipped coefficients
(profiles/methods/api-energy.yaml, so that the inputs are equal: EcoLogits' own constants are the same
to 5 significant figures, except its GPU embodied GWP of 273 kgCO2e where slm-tco ships 164), the
electricity mix of an EcoLogits zone and a data centre PUE/WUE, scalars or ranges (RangeValue), and a
request latency far above the generation latency (so EcoLogits does not cap it). It records the inputs
and EcoLogits' output (min and max of each impact; min = max where EcoLogits returns a single value).
"""

from __future__ import annotations

import json
import sys
from importlib import metadata

from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

# slm-tco's profiles/methods/api-energy.yaml, in EcoLogits' units (Wh per token, kW, kg, MJ, s)
SLM_TCO_METHOD = {
    "gpu_energy_alpha": 1.1665e-6,
    "gpu_energy_beta": -1.1206e-2,
    "gpu_energy_gamma": 4.0529e-5,
    "latency_alpha": 6.785e-4,
    "latency_beta": 0.0,  # slm-tco folds beta x batch into its constant term (latency_b)
    "latency_gamma": 3.944e-2,
    "batch_size": 64,
    "server_power": 1.2,
    "server_gpu_count": 8,
    "gpu_memory": 80,
    "gpu_embodied_gwp": 164,
    "gpu_embodied_adpe": 0.00895,
    "gpu_embodied_pe": 3721,
    "server_embodied_gwp": 5700,
    "server_embodied_adpe": 0.37,
    "server_embodied_pe": 70000,
    "server_lifetime": 36 * 730.5 * 3600,  # 3 years as slm-tco counts them (36 months of 730.5 h)
}

CASES = [
    {
        "name": "llama-3.1-70b-fp8-us",
        "zone": "USA",
        "total": 70,
        "active": 70,
        "bits": 8,
        "tokens_out": 300,
        "pue": 1.2,
        "wue": 0.569,
    },
    {
        "name": "undisclosed-moe-range-se",
        "zone": "SWE",
        "total": [40, 100],
        "active": [8, 20],
        "bits": 16,
        "tokens_out": 500,
        "pue": [1.09, 1.14],
        "wue": [0.13, 0.999],
    },
]


def _v(x: float | list[float]) -> float | RangeValue:
    return RangeValue(min=x[0], max=x[1]) if isinstance(x, list) else x


def _ends(x: object) -> list[float]:
    if isinstance(x, RangeValue):
        return [float(x.min), float(x.max)]
    return [float(x), float(x)]  # type: ignore[arg-type]


def main() -> None:
    out = {"ecologits": metadata.version("ecologits"), "method": SLM_TCO_METHOD, "cases": []}
    for case in CASES:
        mix = electricity_mixes.find_electricity_mix(zone=case["zone"])
        impacts = compute_llm_impacts(
            model_active_parameter_count=_v(case["active"]),
            model_total_parameter_count=_v(case["total"]),
            output_token_count=case["tokens_out"],
            if_electricity_mix_adpe=mix.adpe,
            if_electricity_mix_pe=mix.pe,
            if_electricity_mix_gwp=mix.gwp,
            if_electricity_mix_wue=mix.wue,
            datacenter_pue=_v(case["pue"]),
            datacenter_wue=_v(case["wue"]),
            request_latency=1e9,
            model_quantization_bits=case["bits"],
            **SLM_TCO_METHOD,
        )
        result = {
            "mix": {"gwp": mix.gwp, "adpe": mix.adpe, "pe": mix.pe, "water": mix.wue},
            "energy_kwh": _ends(impacts.energy.value),
            "gwp_usage_kg": _ends(impacts.usage.gwp.value),
            "gwp_embodied_kg": _ends(impacts.embodied.gwp.value),
            "adpe_usage_kg": _ends(impacts.usage.adpe.value),
            "adpe_embodied_kg": _ends(impacts.embodied.adpe.value),
            "pe_usage_mj": _ends(impacts.usage.pe.value),
            "pe_embodied_mj": _ends(impacts.embodied.pe.value),
            "water_l": _ends(impacts.usage.wcf.value),
        }
        out["cases"].append({**case, "ecologits_output": result})
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
