"""`python -m simbox …` (see simbox.cli)."""

from simbox.cli import main

raise SystemExit(main())
