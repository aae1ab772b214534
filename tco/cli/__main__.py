"""`python -m tco.cli`: the same as the `tco` command."""

from tco.cli import main

main()
