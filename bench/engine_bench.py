"""Benchmark of the forecasting engine: speed, memory and accuracy (issue 3 acceptance figures).

For each catalogue size (default 1,000 and 10,000 products x 730 days of the seeded generator
``tools.demand_generator``):

* speed: wall time, CPU time and peak memory of ``engine.forecast(history, 90, method="auto")``,
  measured in a fresh subprocess that only loads the history and forecasts (peak = the process's
  maximum resident set size, history included; the resident size before the forecast is printed
  too). On a machine shared with other work the wall time depends on the load; the CPU time
  (user + system) much less;
* accuracy on a 28-day hold-out: every method forecasts the last 28 days from the history before
  them (``as_of`` = last day - 28) and is scored with ``engine.metrics``: mean MASE (scale from the
  first sale), mean sMAPE (0/0 days count 0) and the mean coverage of the 95 % interval.

Then the same accuracy table on real data: the SID dataset (500 store x item daily series,
2013-2017) shipped in the source archive of the PyPI package ``ddop``; it is downloaded once with
``pip download`` into ``bench/data/`` (git-ignored). Its ``weekday`` column is off by one and is not
used (weekdays come from the dates).

If ``statsforecast`` is importable (it is a bench-only dependency: install it in a separate virtual
environment and run this script with that environment's python), its AutoETS (season 7) and
CrostonOptimized are timed and scored on the same 1,000-product hold-out.

Usage::

    python bench/engine_bench.py                       # 1,000 and 10,000 products, real data
    python bench/engine_bench.py --products 1000 --days 365
    python bench/engine_bench.py --quick               # 1,000 products, fewer methods, no SID
    python bench/engine_bench.py --methods auto --seeds 42,1,2,3 --engine ../before/erpconnect_ai
"""

import argparse
import io
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent


def _addon_dir():
    """The addon directory whose engine is measured: ``--engine DIR`` (e.g. an older commit's
    ``erpconnect_ai`` from ``git archive``, for before/after figures), else this checkout's."""
    if "--engine" in sys.argv[:-1]:
        return sys.argv[sys.argv.index("--engine") + 1]
    return str(BENCH_DIR.parent / "erpconnect_ai")


sys.path.insert(0, _addon_dir())

import engine  # noqa: E402
from engine import forecasting, metrics  # noqa: E402
from tools import generate_demand  # noqa: E402

END_DATE = "2025-06-30"
SPEED_HORIZON = 90
HOLDOUT_DAYS = 28
DDOP_VERSION = "0.7.6"
DATA_DIR = BENCH_DIR / "data"
SID_MEMBER = "ddop-%s/ddop/datasets/data/SID_%s.csv"
QUICK_METHODS = ("moving_average", "polynomial", "seasonal_naive", "ets", "gbm", "auto")


def _rss_mb():
    """Current resident set size of this process in MB (Linux), NaN elsewhere."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _peak_mb():
    """Maximum resident set size of this process so far, in MB.

    ``VmHWM`` of /proc/self/status on Linux: ``ru_maxrss`` would also count the parent's memory
    that the forked child held before ``exec``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _speed_child(path):
    """Subprocess body: load the pickled history, time forecast(auto, 90), print figures."""
    history = pd.read_pickle(path)
    before = _rss_mb()
    cpu = os.times()
    start = time.perf_counter()
    lines = engine.forecast(history, horizon_days=SPEED_HORIZON, method="auto")
    wall = time.perf_counter() - start
    cpu_used = sum(os.times()[:2]) - sum(cpu[:2])
    print("%.2f %.2f %.0f %.0f %d" % (wall, cpu_used, _peak_mb(), before, len(lines)))


def measure_speed(history, label):
    """Run the timed forecast in a fresh process; return (wall s, peak MB, RSS before MB)."""
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as handle:
        path = handle.name
    try:
        history.to_pickle(path)
        output = subprocess.run(
            [sys.executable, __file__, "--engine", _addon_dir(), "--speed-child", path],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(path)
    wall, cpu, peak, before, n_lines = output.split()[-5:]
    load = " ".join("%.2f" % x for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(
        "  %s: forecast(method='auto', horizon=%d): %.1f s wall, %.1f s CPU, peak RSS %.0f MB "
        "(%.0f MB before the call, history loaded), %s lines; load average now %s"
        % (label, SPEED_HORIZON, float(wall), float(cpu), float(peak), float(before), n_lines, load)
    )
    return float(wall), float(peak)


def _holdout(history):
    """(training history, actual P x 28 matrix, in-sample matrix with NaN before first sale)."""
    full = engine.daily_matrix(history)
    cut = full.dates[-1] - pd.Timedelta(days=HOLDOUT_DAYS)
    train = history[pd.to_datetime(history["date"]) <= cut]
    insample = full.qty[:, :-HOLDOUT_DAYS].copy()
    sold = insample > 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), insample.shape[1])
    insample[np.arange(insample.shape[1])[None, :] < first[:, None]] = np.nan
    return train, full, insample, cut


def _scores(actual, point, lower, upper, insample):
    mase = metrics.mase(actual, point, insample)
    smape = metrics.smape(actual, point)
    coverage = metrics.interval_coverage(actual, lower, upper) if lower is not None else None
    return (
        np.nanmean(mase),
        np.nanmean(smape),
        np.nanmean(coverage) if coverage is not None else float("nan"),
        int(np.isfinite(mase).sum()),
    )


def _to_matrix(lines, product_ids, column):
    """Reshape forecast lines (H rows per product, sorted) to a P x H matrix of ``column``."""
    horizon = HOLDOUT_DAYS
    result = np.full((len(product_ids), horizon), np.nan)
    rows = np.searchsorted(product_ids, lines["product_id"].to_numpy()[::horizon])
    result[rows] = lines[column].to_numpy(dtype=float).reshape(-1, horizon)
    return result


def measure_accuracy(history, methods, label, extra=None):
    """Print the 28-day hold-out table of every method; return {method: (mase, smape, cov)}."""
    train, full, insample, cut = _holdout(history)
    actual = full.qty[:, -HOLDOUT_DAYS:]
    print(
        "  %s: 28-day hold-out after %s (%d products)" % (label, cut.date(), len(full.product_ids))
    )
    print("    %-18s %8s %8s %10s %9s %6s" % ("method", "MASE", "sMAPE", "coverage", "time s", "n"))
    results = {}
    for method in methods:
        start = time.perf_counter()
        lines = engine.forecast(train, HOLDOUT_DAYS, method=method, as_of=cut)
        elapsed = time.perf_counter() - start
        point, lower, upper = (
            _to_matrix(lines, full.product_ids, c) for c in ("qty", "lower", "upper")
        )
        mase, smape, coverage, count = _scores(actual, point, lower, upper, insample)
        results[method] = (mase, smape, coverage)
        print(
            "    %-18s %8.4f %8.4f %10.4f %9.1f %6d"
            % (method, mase, smape, coverage, elapsed, count)
        )
    for name, run in (extra or {}).items():
        outcome = run(train, full, cut)
        if outcome is None:
            continue
        (point, lower, upper), elapsed = outcome
        mase, smape, coverage, count = _scores(actual, point, lower, upper, insample)
        results[name] = (mase, smape, coverage)
        print(
            "    %-18s %8.4f %8.4f %10.4f %9.1f %6d" % (name, mase, smape, coverage, elapsed, count)
        )
    return results


def check(results, label):
    """Print the acceptance checks of issue 3 for one accuracy table."""
    if not {"auto", "polynomial", "seasonal_naive"} <= set(results):
        return
    auto, polynomial, naive = results["auto"], results["polynomial"], results["seasonal_naive"]
    ratio = auto[0] / polynomial[0]
    print(
        "  %s: auto MASE / polynomial MASE = %.3f (<= 0.85: %s); auto %.4f < seasonal naive %.4f: "
        "%s; auto 95%% coverage %.3f in [0.90, 0.98]: %s"
        % (
            label,
            ratio,
            "PASS" if ratio <= 0.85 else "FAIL",
            auto[0],
            naive[0],
            "PASS" if auto[0] < naive[0] else "FAIL",
            auto[2],
            "PASS" if 0.90 <= auto[2] <= 0.98 else "FAIL",
        )
    )


# --- statsforecast (optional, bench-only) ---------------------------------------------------------


def statsforecast_runs():
    """AutoETS and CrostonOptimized runners when statsforecast is importable, else {}."""
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, CrostonOptimized
    except ImportError:
        print("  statsforecast is not installed: AutoETS/CrostonOptimized comparison skipped")
        return {}

    def runner(model, name):
        def run(train, full, cut):
            matrix = engine.daily_matrix(train, as_of=cut)
            sold = matrix.qty > 0
            first = np.where(sold.any(axis=1), sold.argmax(axis=1), matrix.qty.shape[1])
            keep = matrix.qty.shape[1] - first >= 2 * 7
            frames = []
            for row in np.flatnonzero(keep):
                frames.append(
                    pd.DataFrame(
                        {
                            "unique_id": matrix.product_ids[row],
                            "ds": matrix.dates[first[row] :],
                            "y": matrix.qty[row, first[row] :],
                        }
                    )
                )
            data = pd.concat(frames, ignore_index=True)
            start = time.perf_counter()
            fitted = StatsForecast(models=[model], freq="D", n_jobs=1)
            level = [95] if name == "AutoETS" else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                predicted = fitted.forecast(df=data, h=HOLDOUT_DAYS, level=level)
            elapsed = time.perf_counter() - start
            predicted = predicted.reset_index() if "unique_id" not in predicted else predicted
            column = next(c for c in predicted.columns if c not in ("unique_id", "ds", "index"))
            shape = (len(full.product_ids), HOLDOUT_DAYS)
            # Products statsforecast did not forecast (under two weeks of history) stay NaN and
            # are left out of its scores.
            point, lower, upper = np.full(shape, np.nan), None, None
            rows = np.searchsorted(
                full.product_ids, predicted["unique_id"].to_numpy()[::HOLDOUT_DAYS]
            )
            point[rows] = np.maximum(predicted[column].to_numpy().reshape(-1, HOLDOUT_DAYS), 0)
            if level:
                lower, upper = np.full(shape, np.nan), np.full(shape, np.nan)
                lower[rows] = np.maximum(
                    predicted[column + "-lo-95"].to_numpy().reshape(-1, HOLDOUT_DAYS), 0
                )
                upper[rows] = predicted[column + "-hi-95"].to_numpy().reshape(-1, HOLDOUT_DAYS)
            return (point, lower, upper), elapsed

        return run

    return {
        "sf AutoETS": runner(AutoETS(season_length=7), "AutoETS"),
        "sf CrostonOpt": runner(CrostonOptimized(), "CrostonOptimized"),
    }


# --- real data ------------------------------------------------------------------------------------


def sid_history():
    """The ddop SID dataset as a history DataFrame (downloaded into bench/data/ when missing)."""
    DATA_DIR.mkdir(exist_ok=True)
    archive = DATA_DIR / ("ddop-%s.tar.gz" % DDOP_VERSION)
    if not archive.exists():
        print("  downloading the ddop %s source archive into %s" % (DDOP_VERSION, DATA_DIR))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(DATA_DIR),
                "ddop==%s" % DDOP_VERSION,
            ],
            check=True,
        )
    with tarfile.open(archive) as tar:
        data = pd.read_csv(io.BytesIO(tar.extractfile(SID_MEMBER % (DDOP_VERSION, "data")).read()))
        target = pd.read_csv(
            io.BytesIO(tar.extractfile(SID_MEMBER % (DDOP_VERSION, "target")).read())
        )
    return pd.DataFrame(
        {
            "product_id": (data["store"] - 1) * 50 + data["item"],
            "date": pd.to_datetime(data["date"]),
            "qty": target["sales"].astype(float),
        }
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", default="1000,10000", help="comma-separated sizes")
    parser.add_argument("--days", type=int, default=730, help="days of history")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--quick", action="store_true", help="1,000 products, fewer methods, no real data"
    )
    parser.add_argument("--no-real", action="store_true", help="skip the SID real data")
    parser.add_argument("--methods", help="comma-separated methods of the accuracy tables")
    parser.add_argument("--seeds", help="comma-separated seeds (default: --seed)")
    parser.add_argument("--engine", help="addon directory of the engine to measure")
    parser.add_argument("--speed-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_child:
        _speed_child(args.speed_child)
        return

    sizes = [int(size) for size in args.products.split(",")]
    methods = QUICK_METHODS if args.quick else forecasting.METHOD_NAMES
    if args.methods:
        methods = tuple(args.methods.split(","))
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [args.seed]
    if args.quick:
        sizes = [min(sizes)]
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(
        "engine bench: %d cores (os.cpu_count), load average %s, numpy %s, pandas %s"
        % (os.cpu_count(), " ".join("%.2f" % x for x in load), np.__version__, pd.__version__)
    )
    extra = statsforecast_runs() if not args.quick else {}
    print("engine measured: %s" % Path(engine.__file__).parent)
    for size in sizes:
        for seed in seeds:
            start = time.perf_counter()
            _products, history = generate_demand(size, args.days, seed=seed, end_date=END_DATE)
            print(
                "\n%d products x %d days (seed %d): %d history rows, generated in %.1f s"
                % (size, args.days, seed, len(history), time.perf_counter() - start)
            )
            if seed == seeds[0]:
                measure_speed(history, "%d products" % size)
            results = measure_accuracy(
                history, methods, "%d products" % size, extra if size == min(sizes) else None
            )
            check(results, "%d products" % size)
    if not args.quick and not args.no_real:
        print("\nreal data: ddop SID (500 store x item series, 2013-01-01 to 2017-12-31)")
        history = sid_history()
        measure_speed(history, "SID")
        results = measure_accuracy(history, methods, "SID")
        check(results, "SID")
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print("\nload average at the end: %s" % " ".join("%.2f" % x for x in load))


if __name__ == "__main__":
    main()
