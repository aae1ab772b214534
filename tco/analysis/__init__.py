"""slm-tco."""
