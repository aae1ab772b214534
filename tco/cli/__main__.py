"""`python -m tco.cli`: the same as the `tco` command."""

from tco.cli.main import main

main()
