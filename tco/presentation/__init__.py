"""Presentation shared by the app and the reports: labels, charts, what-if edits and report formats.

It shows what the analysis layer computed and computes nothing of its own.
"""
