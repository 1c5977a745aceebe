"""`python -m bot.cli` runs the `raccordo` command."""

from bot.cli.main import main

main()
