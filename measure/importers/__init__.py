"""Importers: turn other tools' energy measurements (ML.ENERGY, CodeCarbon) into slm-tco model profiles."""
