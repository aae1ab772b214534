"""The conversion constants of slm-tco, each defined once.

The engine computes in kWh, kW, kgCO2e, hours and months; people read W, Wh, J, gCO2e, tCO2e and seconds.
Every factor between the two is here, named for what it converts, and the scenario layer converts through
`tco.scenario.units.convert`, which uses them. tests/scenario/test_units.py checks each against the pint
registry (`tco/scenario/units.txt` and pint's own definitions), so a constant and the unit system cannot
disagree.
"""

from __future__ import annotations

# time: pint's month is a twelfth of a 365.25-day year
HOURS_PER_DAY = 24
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86_400.0
DAYS_PER_MONTH = 30.4375
HOURS_PER_MONTH = 730.5
MONTHS_PER_YEAR = 12.0

# energy and power
W_PER_KW = 1000.0
WH_PER_KWH = 1000.0
J_PER_KWH = 3.6e6

# emissions
G_PER_KG = 1000.0  # gCO2e per kgCO2e
KG_PER_T = 1000.0  # kgCO2e per tCO2e

# counts
PER_BILLION = 1e9  # parameters are given in units; the API energy fit is per billion
TOKENS_PER_MTOKEN = 1e6  # prices are read per million tokens
