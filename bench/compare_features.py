#!/usr/bin/python3
# Copyright 2026 The mlgov Authors. Apache-2.0.
"""Compares two feature CSVs (`date,symbol,<features...>`), e.g. `mlgov
features` against bench/pandas_features.py, row by row (joined on date and
symbol) and value by value, as float32.

Usage: bench/compare_features.py OURS.csv THEIRS.csv [--rel 1e-6] [--abs 1e-7]

A value agrees when |ours - theirs| <= abs + rel * |theirs|. Prints, per
column, how many values are bit-identical, the largest difference in float32
ulps (among values of magnitude >= 1e-6) and the largest absolute difference; exits 1 when the rows differ or any value disagrees.
"""

import argparse
import sys

import numpy as np
import pandas as pd


def load(path):
    # round_trip: the exact float64 parse (the default parser may be 1 ulp off).
    df = pd.read_csv(path, dtype={"date": str, "symbol": str}, float_precision="round_trip")
    return df.set_index(["date", "symbol"]).sort_index()


def ulps(a, b):
    """Distance in float32 ulps (a and b float32 arrays of the same sign mostly)."""
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    # Map the sign-magnitude bit patterns onto a line where adjacent floats are 1 apart.
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return np.abs(ia - ib)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ours")
    ap.add_argument("theirs")
    ap.add_argument("--rel", type=float, default=1e-6)
    ap.add_argument("--abs", type=float, default=1e-7)
    args = ap.parse_args()

    ours, theirs = load(args.ours), load(args.theirs)
    if list(ours.columns) != list(theirs.columns):
        sys.exit(f"columns differ: {list(ours.columns)} vs {list(theirs.columns)}")
    if not ours.index.equals(theirs.index):
        only_ours = ours.index.difference(theirs.index)
        only_theirs = theirs.index.difference(ours.index)
        sys.exit(f"rows differ: {len(only_ours)} only in {args.ours} (e.g. {list(only_ours[:3])}), "
                 f"{len(only_theirs)} only in {args.theirs} (e.g. {list(only_theirs[:3])})")

    failed = 0
    total_identical = 0
    print(f"{'feature':<22} {'bit-identical':>14} {'max ulps':>9} {'max |diff|':>11} {'outside':>8}")
    for col in ours.columns:
        a = ours[col].to_numpy(np.float32)
        b = theirs[col].to_numpy(np.float32)
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        outside = int((diff > args.abs + args.rel * np.abs(b.astype(np.float64))).sum())
        identical = int((a.view(np.uint32) == b.view(np.uint32)).sum())
        total_identical += identical
        failed += outside
        # Ulps say little next to zero (0 and 1e-16 are 600 million apart).
        away_from_zero = np.abs(b) >= 1e-6
        max_ulps = int(ulps(a, b)[away_from_zero].max()) if away_from_zero.any() else 0
        print(f"{col:<22} {identical:>14} {max_ulps:>9} {diff.max():>11.3g} "
              f"{outside:>8}")
    n = ours.size
    print(f"{len(ours)} rows, {n} values: {total_identical} bit-identical "
          f"({100.0 * total_identical / n:.4f}%), {failed} outside |diff| <= "
          f"{args.abs:g} + {args.rel:g} * |value|")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
