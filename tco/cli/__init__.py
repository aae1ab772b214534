"""The `tco` command: reports, validation, profiles, measurement and decision analysis."""

from tco.cli.main import app, main

__all__ = ["app", "main"]
