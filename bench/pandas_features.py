#!/usr/bin/python3
# Copyright 2026 The mlgov Authors. Apache-2.0.
"""`mlgov features` in idiomatic pandas, end to end: the baseline that
scripts/bench-features-e2e.sh times `mlgov features` against.

Reads a directory written by `mlgov synth` (DIR/<SYM>.csv bars,
DIR/<benchmark>.csv, DIR/sectors.csv), computes the 28 ml_v1 features of
/work/shared/spec/features_ml_v1.md (docs: the normative spec) the way a
Python quant would write them (rolling windows, pct_change, groupby rank),
and writes `date,symbol,<28 features>` with pandas' to_csv, rows ordered by
date then symbol, like `mlgov features`. Values are computed in float64 and
emitted as float32, as the spec says; to_csv writes each float32 in its
shortest round-trip form.

Usage:
  bench/pandas_features.py DIR --out features.csv [--benchmark SPX] [--timings]

--timings prints the wall time of each phase (read, compute, write) to
stderr, in the same words as `mlgov features --timings`.
"""

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

FEATURES = [
    "ret_1d", "ret_5d", "ret_10d", "ret_20d", "ret_60d", "mom_12_1",
    "sma_ratio_20", "sma_ratio_50", "sma_ratio_200", "sma_cross_12_26",
    "rsi_14", "stoch_k_14", "bb_pos_20", "vol_5", "vol_20", "vol_60",
    "atr_14_norm", "hl_range", "gap_1d", "skew_60", "kurt_60",
    "volume_ratio_20", "dollar_volume_log_20", "volume_z_20",
    "dist_high_252", "dist_low_252", "beta_60", "cross_rank_sector",
]
MIN_BARS = 253  # lookback: mom_12_1 reads c_{t-252}


def load_universe(data_dir, benchmark):
    """Every <SYM>.csv but the benchmark's and sectors.csv, the benchmark, the sector map."""
    bars = {}
    bench = None
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".csv") or name == "sectors.csv":
            continue
        df = pd.read_csv(os.path.join(data_dir, name), parse_dates=["date"], index_col="date")
        if name[:-4] == benchmark:
            bench = df
        else:
            bars[name[:-4]] = df
    if bench is None:
        sys.exit(f"{data_dir}: no {benchmark}.csv for the benchmark")
    sectors = pd.read_csv(os.path.join(data_dir, "sectors.csv"), dtype=str)
    sector_of = dict(zip(sectors["symbol"], sectors["sector"]))
    missing = [s for s in bars if s not in sector_of]
    if missing:
        sys.exit(f"sectors.csv: no sector for {', '.join(missing[:5])}")
    return bars, bench, sector_of


def symbol_features(df, bench_ret):
    """The 27 per-symbol features (all but the sector rank), float64."""
    o, h, l, c, v = df["open"], df["high"], df["low"], df["close"], df["volume"]
    f = pd.DataFrame(index=df.index)
    r = c.pct_change()
    f["ret_1d"] = r
    for n in (5, 10, 20, 60):
        f[f"ret_{n}d"] = c / c.shift(n) - 1
    f["mom_12_1"] = c.shift(21) / c.shift(252) - 1

    sma20 = c.rolling(20).mean()
    f["sma_ratio_20"] = c / sma20 - 1
    f["sma_ratio_50"] = c / c.rolling(50).mean() - 1
    f["sma_ratio_200"] = c / c.rolling(200).mean() - 1
    f["sma_cross_12_26"] = c.rolling(12).mean() / c.rolling(26).mean() - 1

    d = c.diff()
    gain = d.clip(lower=0).rolling(14).mean()
    loss = (-d).clip(lower=0).rolling(14).mean()
    rsi = 100 - 100 / (1 + gain / loss)
    f["rsi_14"] = rsi.where(loss != 0, np.where(gain > 0, 100.0, 50.0)).where(gain.notna())

    ll = l.rolling(14).min()
    hh = h.rolling(14).max()
    rng = hh - ll
    f["stoch_k_14"] = ((c - ll) / rng).where(rng != 0, 0.5).where(rng.notna())

    std20 = c.rolling(20).std()
    f["bb_pos_20"] = ((c - sma20) / (2 * std20)).where(std20 != 0, 0.0).where(std20.notna())

    for n in (5, 20, 60):
        f[f"vol_{n}"] = r.rolling(n).std()

    prev_c = c.shift(1)
    tr = pd.concat([h - l, (h - prev_c).abs(), (l - prev_c).abs()], axis=1).max(
        axis=1, skipna=False)
    f["atr_14_norm"] = tr.rolling(14).mean() / c
    f["hl_range"] = (h - l) / c
    f["gap_1d"] = o / prev_c - 1

    # pandas' rolling skew and kurt are the spec's bias-corrected estimators;
    # a flat window (m2 = 0) gets the spec's fallback 0.
    var60 = r.rolling(60).var()
    f["skew_60"] = r.rolling(60).skew().where(var60 != 0, 0.0).where(var60.notna())
    f["kurt_60"] = r.rolling(60).kurt().where(var60 != 0, 0.0).where(var60.notna())

    vmean = v.rolling(20).mean()
    vstd = v.rolling(20).std()
    f["volume_ratio_20"] = (v / vmean).where(vmean != 0, 1.0).where(vmean.notna())
    f["dollar_volume_log_20"] = np.log1p((c * v).rolling(20).mean())
    f["volume_z_20"] = ((v - vmean) / vstd).where(vstd != 0, 0.0).where(vstd.notna())

    f["dist_high_252"] = c / h.rolling(252).max() - 1
    f["dist_low_252"] = c / l.rolling(252).min() - 1

    b = bench_ret.reindex(df.index)
    if b.iloc[1:].isna().any():
        date = b.index[1:][b.iloc[1:].isna().to_numpy()][0]
        sys.exit(f"the benchmark has no bar on {date.date()}")
    bvar = b.rolling(60).var()
    f["beta_60"] = (r.rolling(60).cov(b) / bvar).where(bvar != 0, 0.0).where(bvar.notna())
    return f


def compute_universe(bars, bench, sector_of):
    """The feature table: date, symbol and the 28 features as float32."""
    bench_ret = bench["close"].pct_change()
    frames = []
    for symbol, df in bars.items():
        f = symbol_features(df, bench_ret)
        f["symbol"] = symbol
        f["sector"] = sector_of[symbol]
        f["bar_index"] = np.arange(len(f))
        frames.append(f)
    panel = pd.concat(frames).rename_axis("date").reset_index()

    # Within-sector rank of ret_20d among the symbols that have one on the date.
    groups = panel[panel["ret_20d"].notna()].groupby(["date", "sector"])["ret_20d"]
    k = groups.rank(method="average")
    n = groups.transform("count")
    panel["cross_rank_sector"] = ((k - 1) / (n - 1)).where(n > 1, 0.5)

    rows = panel[panel["bar_index"] >= MIN_BARS - 1]
    rows = rows.sort_values(["date", "symbol"], kind="stable")
    out = rows[["date", "symbol"]].reset_index(drop=True)
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    values = rows[FEATURES].astype(np.float32).reset_index(drop=True)
    return pd.concat([out, values], axis=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("--out", required=True, help="the features CSV to write")
    ap.add_argument("--benchmark", default="SPX")
    ap.add_argument("--timings", action="store_true", help="print each phase's wall time")
    args = ap.parse_args()

    last = time.perf_counter()

    def lap(phase):
        nonlocal last
        now = time.perf_counter()
        if args.timings:
            print(f"pandas features: {phase:<28} {1000 * (now - last):8.1f} ms", file=sys.stderr)
        last = now

    bars, bench, sector_of = load_universe(args.data_dir, args.benchmark)
    lap("read bar CSVs")
    table = compute_universe(bars, bench, sector_of)
    lap("compute features")
    table.to_csv(args.out, index=False)
    lap("format and write CSV")
    print(f"wrote {len(table)} rows x {len(FEATURES)} features for {len(bars)} symbols "
          f"to {args.out} (pandas {pd.__version__}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
