"""``python -m helpers.catchment``: regenerate ``data/teaching_catchment.csv``."""

from helpers.catchment.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
