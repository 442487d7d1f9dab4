"""``python -m helpers._kit.catchment``: regenerate ``data/teaching_catchment.csv``."""

from helpers._kit.catchment.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
