"""``python -m helpers.catchment``: regenerate ``data/teaching_catchment.csv``."""

from helpers.catchment.cli import main

raise SystemExit(main())
