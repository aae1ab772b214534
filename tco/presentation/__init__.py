"""Presentation shared by the app, the CLI and the reports: labels, tables, charts, the plan's tables, the
what-if controls' values and the report formats.

It formats what the analysis layer computed (`tco.analysis.view.View`) and computes nothing of its own;
tests/test_layers.py fails on a module here importing an analysis module or function at run time.
"""
