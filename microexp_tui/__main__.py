"""`python -m microexp_tui` runs the `microexp` command."""

from microexp_tui.cli import main

raise SystemExit(main())
