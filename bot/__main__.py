"""`python -m bot` works like `repere`."""

from bot.cli import main

raise SystemExit(main())
