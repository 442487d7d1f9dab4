"""Command line: ``python -m helpers._kit.catchment [--seed N] [--out PATH]`` (``make data``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from helpers._kit.catchment.record import generate_catchment, record_summary, write_record
from helpers._kit.catchment.settings import DEFAULT_SEED
from helpers._kit.files import REPO_ROOT

#: The shipped record of a clone of the course (None in an installed package: give ``--out``).
SHIPPED_CSV = None if REPO_ROOT is None else REPO_ROOT / "data" / "teaching_catchment.csv"


def main(argv: list[str] | None = None) -> int:
    """Regenerate the CSV, print its SHA-256 checksum and summary statistics."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers._kit.catchment",
        description="Regenerate the teaching-catchment CSV.",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed (default {DEFAULT_SEED}, the shipped record)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=SHIPPED_CSV,
        help=f"output CSV (default {SHIPPED_CSV})",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        parser.error("--out is needed outside a clone of the course (no data/ folder here)")
    try:
        record = generate_catchment(seed=args.seed)
    except ValueError as error:
        parser.error(str(error))  # prints usage and exits with status 2
    checksum = write_record(record, args.out)
    print(f"wrote {args.out} ({len(record)} months, seed {args.seed})")
    print(f"SHA-256 {checksum}")
    print(record_summary(record).round(3).to_string())
    return 0


