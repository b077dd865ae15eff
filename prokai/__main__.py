"""`python -m prokai` is the same as the `prokai` command."""

from prokai.cli import main

main()
