"""The scenario format and reference data: parse files, check units, validate, resolve into engine inputs.

The lowest layer above the engine: it knows the files (YAML under `profiles/` and the user's scenarios) and
translates them into `tco.engine.inputs`, recording an assumption for every number. Nothing here runs the
engine.
"""
