"""Write profiles/methods/electricity-impacts.yaml from EcoLogits' electricity mixes (reference data only).

Run once with EcoLogits installed (`pip install 'ecologits==0.11.*'`, not a dependency of slm-tco):
    .venv/bin/python scripts/electricity_impacts_from_ecologits.py > profiles/methods/electricity-impacts.yaml
Countries: those of the shipped and test regions (ISO 3166-1 alpha-2 -> EcoLogits' alpha-3 zone); ZZ = WOR.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import ecologits

ZONES = {
    "AU": "AUS", "CA": "CAN", "CN": "CHN", "DE": "DEU", "ET": "ETH", "FI": "FIN", "FR": "FRA", "GB": "GBR",
    "IE": "IRL", "IN": "IND", "JP": "JPN", "NO": "NOR", "PL": "POL", "SE": "SWE", "TL": "TLS", "US": "USA",
    "ZZ": "WOR",
}  # fmt: skip


def main() -> None:
    data = json.loads((Path(ecologits.__file__).parent / "data" / "electricity_mixes.json").read_text())
    mixes = {m["name"]: m for m in data["electricity_mixes"]}
    version = metadata.version("ecologits")
    print(f"""# Impacts of 1 kWh drawn from each country's grid beside its CO2e (which is in regions.yaml): abiotic
# depletion (ADPe, kgSbeq/kWh), primary energy (PE, MJ/kWh) and the water consumed off-site to generate it
# (L/kWh). Written by scripts/electricity_impacts_from_ecologits.py from EcoLogits {version}'s
# ecologits/data/electricity_mixes.json (zones ISO alpha-3; ZZ = EcoLogits' world average WOR). EcoLogits
# flags countries whose factor is the world default; those flags are kept in `world_default`.
source: "EcoLogits {version}, ecologits/data/electricity_mixes.json (columns adpe, pe, wue); EcoLogits attributes ADPe and PE to ADEME Base IMPACTS and the mix's water factor to its methodology (ecologits.ai, LLM inference)"
year: 2025
licence: "MPL-2.0 (EcoLogits); ADEME Base IMPACTS data under its own terms"
url: https://ecologits.ai/latest/methodology/llm_inference/
countries:""")
    for iso2, zone in sorted(ZONES.items()):
        m = mixes[zone]
        flags = sorted(w.split("-")[2] for w in (m.get("warnings") or []))
        extra = f", world_default: [{', '.join(flags)}]" if flags else ""
        print(
            f"  '{iso2}': {{zone: {zone}, adpe: {m['adpe']} kgSbeq/kWh, pe: {m['pe']} MJ/kWh, "
            f"water: {m['wue']} L/kWh{extra}}}"
        )


if __name__ == "__main__":
    main()
