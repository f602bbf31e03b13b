"""scripts/sweep: runs a sweep spec and writes the table, sweep.json and the charts.

Order of work: validate the spec, expand its points and ask dfsim about the base run and the
--set paths (any problem: exit 2, nothing written); take OUT's lock and scan OUT/points once
for the input keys of finished points (those points are reused, nothing runs for them); start
or connect to the Dask cluster (only if some point is left) and run one dfsim process per
remaining point (results under OUT/points/<hash>/); write OUT/sweep.csv (and sweep.parquet
when pyarrow imports), OUT/sweep.json and OUT/plots/.
Exit 0 when every point that ran succeeded, 1 when some failed (the table and charts are still
written), 2 on bad input, 130 when interrupted (finished points are kept for a resume).
"""

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import time

from dfsim_import.common import InputError, run_main

from . import columns, points as points_mod, probe, runner, table, task
from . import spec as spec_mod
from .progress import Progress, clock
from .task import TMP_PREFIX

PROG = "sweep"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DFSIM = os.path.join(ROOT, "build", "dfsim")
LOCK_NAME = ".sweep.lock"
MAX_SKIP_LINES = 20


def parse_args(argv):
    """The command line (argparse exits 2 on bad options)."""
    ap = argparse.ArgumentParser(
        prog=PROG, description="Runs a dfsim parameter sweep (a JSON spec; see README.md, "
        "'Sweeps'): one dfsim process per point (all its dataflows) on Dask (a local cluster by "
        "default), results per point under OUT/points/<hash>, a tidy table OUT/sweep.csv and "
        "charts in OUT/plots. A second run reuses every finished point without running dfsim.",
        epilog="Exit status: 0 all points ok, 1 some points failed (table still written), "
               "2 bad input, 130 interrupted.")
    ap.add_argument("spec", help="the sweep spec (JSON)")
    ap.add_argument("--out", help="output folder (default: results/sweeps/<spec name> in the "
                                  "repository)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true",
                       help="run every point in this process, one at a time, without Dask")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on this existing Dask scheduler's workers (they must see "
                            "dfsim and the files at the same paths)")
    ap.add_argument("--workers", type=int, metavar="N",
                    help="workers of the local cluster (default: one per core)")
    ap.add_argument("--dfsim", metavar="PATH",
                    help="dfsim executable (default: $DFSIM_BINARY, else build/dfsim)")
    ap.add_argument("--timeout", type=float, metavar="SECONDS",
                    help="a dfsim process running longer fails its point")
    ap.add_argument("--no-plot", action="store_true", help="write the table only")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    ap.add_argument("--verbose", action="store_true", help="let Dask log (warnings and up)")
    args = ap.parse_args(argv)
    if args.workers is not None and (args.workers < 1 or args.serial or args.scheduler):
        ap.error("--workers takes a positive number, and applies to the local cluster only")
    if args.timeout is not None and not args.timeout > 0:
        ap.error("--timeout takes a positive number of seconds")
    if args.scheduler and "://" not in args.scheduler:
        ap.error(f"--scheduler: expected an address like tcp://HOST:PORT, got "
                 f"{args.scheduler!r}")
    return args


def resolve_dfsim(args):
    """The absolute dfsim path (option, $DFSIM_BINARY, build/dfsim); InputError if unusable."""
    if args.dfsim:
        where, path = "--dfsim", args.dfsim
    elif os.environ.get("DFSIM_BINARY"):
        where, path = "DFSIM_BINARY", os.environ["DFSIM_BINARY"]
    else:
        where, path = "dfsim", DEFAULT_DFSIM
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise InputError(f"{where} {path}", "not an executable (build it: cmake --build "
                                            "build --target dfsim, or pass --dfsim)")
    return path


def make_jobs(spec, pts, dfsim, points_dir, timeout):
    """The task dicts (task.run_point) of the points that run, each with its input key."""
    flags = ["--fast"] if spec.fast else []
    if spec.search:
        flags += ["--search", "--objective", spec.search]
    # dfsim reports layers in network order whatever the order of --layer: sorted here. The
    # dataflows belong to the settings: a point's folder holds the results of all of them.
    settings = {"layers": sorted(spec.layers) if spec.layers else None,
                "dataflows": list(spec.dataflows), "fast": spec.fast, "search": spec.search}
    try:
        digests = {doc: task.file_digest(getattr(spec, doc)) for doc in spec_mod.DOCUMENTS}
    except OSError as e:
        raise InputError(spec.display, f"cannot read {e.filename} ({e.strerror})") from None
    base = probe.base_args(spec)
    jobs = []
    for p in pts:
        if p.skip is None:
            sets = p.set_args()
            jobs.append({"index": p.index, "dfsim": dfsim, "cwd": spec.dir, "base": base,
                         "sets": sets, "dataflows": list(spec.dataflows), "flags": flags,
                         "run_settings": settings, "points_dir": points_dir,
                         "key": task.input_key(digests, sets, spec.batch, settings),
                         "timeout": timeout, "stop_event": None})
    return jobs


def make_runner(args, n_jobs):
    """The runner: serial when asked or when nothing runs, else Dask."""
    if args.serial or (n_jobs == 0 and not args.scheduler):
        return runner.SerialRunner()
    workers = min(args.workers or runner.cores(), n_jobs)
    return runner.DaskRunner(address=args.scheduler, workers=workers, verbose=args.verbose)


def _write_atomic(path, text):
    tmp = f"{path}.{TMP_PREFIX}{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def _lock(out):
    """Holds OUT/.sweep.lock (released when the process ends); InputError when another sweep
    is writing to the same folder."""
    fd = os.open(os.path.join(out, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(f"--out {out}", "another sweep is writing to this folder") from None
    return fd


def _clean_stale(points_dir):
    """Removes temporary folders left by an interrupted sweep (never counted as done)."""
    for name in os.listdir(points_dir):
        if name.startswith(TMP_PREFIX):
            shutil.rmtree(os.path.join(points_dir, name), ignore_errors=True)


def best_points(spec, head, rows):
    """{dataflow: (point, objective)} of the point with the smallest objective over all
    layers, among points whose dataflow ran ok."""
    groups = {}
    for r in rows:
        rec = dict(zip(head, r))
        if rec["status"] == "ok":
            groups.setdefault((rec["dataflow"], int(rec["point"])), []).append(
                {k: float(rec[k]) for k in columns.METRICS if rec.get(k, "") != ""})
    best = {}
    for (df, point), layer_rows in groups.items():
        try:
            value = columns.aggregate(layer_rows, spec.objective)
        except KeyError:
            continue
        if df not in best or value < best[df][1]:
            best[df] = (point, value)
    return best


def summary(spec, pts, results, jobs_seconds):
    """Counts for sweep.json and the closing lines. runs_* count point x dataflow results;
    dfsim_calls the dfsim processes started for points (one per point not found by its input
    key; the up-front checks are not counted); reused_by_key the points found by their input
    key (no process)."""
    runs = [r for res in results.values() for r in res["runs"].values()]
    return {
        "points": len(pts),
        "skipped": sum(p.skip is not None for p in pts),
        "ran": len(results),
        "ok": sum(r["status"] == "ok" for r in results.values()),
        "failed": sum(r["status"] != "ok" for r in results.values()),
        "reused_by_key": sum(bool(r.get("by_key")) for r in results.values()),
        "runs_simulated": sum(r["status"] == "simulated" for r in runs),
        "runs_reused": sum(r["status"] == "reused" for r in runs),
        "runs_failed": sum(r["status"] == "failed" for r in runs),
        "dfsim_calls": sum(r["dfsim_calls"] for r in results.values()),
        "dfsim_seconds": round(sum(r.get("seconds", 0.0) for r in results.values()), 3),
        "run_seconds": round(jobs_seconds, 3),
    }


def sweep_json(spec, dfsim, pts, results, counts, seconds, run, plots, parquet):
    """The document OUT/sweep.json: the setup, counts, times and every point's outcome."""
    params = {p.column for p in spec.params()}
    return {
        "generated_by": "scripts/sweep",
        "name": spec.name,
        "description": spec.description,
        "spec": os.path.abspath(spec.file),
        "dfsim": dfsim,
        "runner": run.description,
        "workers": run.workers,
        "dataflows": spec.dataflows,
        "objective": spec.objective,
        "columns": [{"column": c, "path": path, "unit": unit or columns.path_unit(path),
                     "kind": "swept" if c in params else "derived"}
                    for c, path, unit in spec.set_columns()],
        "plot": {"x": spec.plot_x or spec.set_columns()[0][0], "metrics": spec.plot_metrics},
        "counts": counts,
        "seconds": seconds,
        "table": "sweep.csv",
        "parquet": "sweep.parquet" if parquet else None,
        "parquet_note": table.PARQUET_NOTE,
        "plots": plots,
        "points": [{
            "point": p.index,
            "values": {k: v for k, v in p.values.items()},
            "sets": p.set_args() if p.skip is None else [],
            "status": "skipped" if p.skip is not None else results[p.index]["status"],
            "reason": p.skip,
            "hash": None if p.skip is not None else results[p.index]["hash"],
            "error": None if p.skip is not None else (results[p.index]["error"] or None),
            "seconds": None if p.skip is not None else round(results[p.index]["seconds"], 3),
            "runs": {} if p.skip is not None else results[p.index]["runs"],
        } for p in pts],
    }


def prepare(args):
    """Everything checked before anything is written: (dfsim, spec, points). InputError (exit
    2) on any problem."""
    dfsim = resolve_dfsim(args)
    spec = spec_mod.load(args.spec)
    pts = points_mod.expand(spec)
    probe.check_base(dfsim, spec)
    probe.check_paths(dfsim, spec, pts)
    return dfsim, spec, pts


def open_out(out, jobs):
    """Creates OUT/points, takes OUT's lock, removes stale temporary folders and scans the
    point folders' input keys once: (lock file descriptor, {point index: reused result} of
    the jobs whose input key names a finished point)."""
    points_dir = os.path.join(out, "points")
    try:
        os.makedirs(points_dir, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}", f"cannot create the folder ({e.strerror})") from None
    lock = _lock(out)
    _clean_stale(points_dir)
    index = task.key_index(points_dir)
    reused = {j["index"]: task.reused_result(j, index[j["key"]])
              for j in jobs if j["key"] in index}
    return lock, reused


def execute(run, args, spec, pts, jobs, reused, out):
    """Announces the sweep and runs the jobs not reused, with a progress line: (results by
    point index, run seconds)."""
    skipped = [p for p in pts if p.skip is not None]
    print(f"{PROG}: {spec.name}: {len(pts)} points ({len(skipped)} skipped) x "
          f"{len(spec.dataflows)} dataflow{'s' if len(spec.dataflows) > 1 else ''}, "
          f"{run.description}; results in {out}", file=sys.stderr, flush=True)
    if not args.quiet:
        for p in skipped[:MAX_SKIP_LINES]:
            print(f"{PROG}: skipping point {p.index}: {p.skip}", file=sys.stderr)
        if len(skipped) > MAX_SKIP_LINES:
            print(f"{PROG}: ... and {len(skipped) - MAX_SKIP_LINES} more skipped points (see "
                  f"sweep.json)", file=sys.stderr)
    if reused and not args.quiet:
        print(f"{PROG}: {len(reused)} of {len(jobs)} points already done (reused)",
              file=sys.stderr)
    progress = Progress(len(jobs), len(skipped), prog=PROG, enabled=not args.quiet)
    results = {}

    def on_result(result):
        results[result["index"]] = result
        progress.update(result["status"] != "ok")

    start = time.monotonic()
    for result in reused.values():
        on_result(result)
    run.run([j for j in jobs if j["index"] not in reused], on_result)
    progress.close()
    return results, time.monotonic() - start


def draw_charts(out):
    """The sweep's charts in OUT/plots (older charts there removed); their paths relative to
    OUT, or [] with a note on stderr when there is nothing to draw."""
    plots_dir = os.path.join(out, "plots")
    try:
        from . import plot  # matplotlib: only when charts are drawn
        written = plot.draw(os.path.join(out, "sweep.csv"), plots_dir)
    except InputError as e:
        print(f"{PROG}: no charts: {e.where}: {e.what}", file=sys.stderr)
        return []
    except ImportError as e:
        print(f"{PROG}: no charts: {e} (install Debian's python3-matplotlib)", file=sys.stderr)
        return []
    keep = {os.path.basename(p) for p in written}
    for name in os.listdir(plots_dir):
        if name.endswith(".png") and name not in keep:
            os.unlink(os.path.join(plots_dir, name))
    return [os.path.relpath(p, out) for p in written]


def report(spec, pts, results, counts, head, rows, out, plots, parquet, elapsed):
    """The closing lines on stdout: counts, files, the best point per dataflow, failures."""
    print(f"{PROG}: {counts['ran']} points ran ({counts['ok']} ok, {counts['failed']} failed)"
          f", {counts['skipped']} skipped; dfsim runs: {counts['runs_simulated']} simulated, "
          f"{counts['runs_reused']} reused, {counts['runs_failed']} failed; "
          f"{clock(elapsed)} total")
    print(f"table: {os.path.join(out, 'sweep.csv')} ({len(rows)} rows)"
          + ("" if parquet else "; no sweep.parquet (pyarrow is not installed)"))
    for p in plots:
        print(f"chart: {os.path.join(out, p)}")
    status, unit_col = head.index("status"), head.index("energy_unit")
    unit = next((r[unit_col] for r in rows if r[status] == "ok"), "")
    for df, (point, value) in sorted(best_points(spec, head, rows).items(),
                                     key=lambda kv: columns.DATAFLOWS.index(kv[0])):
        vals = ", ".join(f"{k}={points_mod.cell_text(v)}" for k, v in pts[point].values.items())
        print(f"best {spec.objective} for {df}: {value:.6g} "
              f"{columns.metric_unit(spec.objective, unit)} at point {point} ({vals})")
    for res in sorted(results.values(), key=lambda r: r["index"]):
        if res["status"] != "ok":
            print(f"failed point {res['index']}: {res['error']}")


def main(argv=None):
    """Runs the sweep; returns the exit status (see the module docstring)."""
    t0 = time.monotonic()
    args = parse_args(argv)
    dfsim, spec, pts = prepare(args)
    out = os.path.abspath(args.out or os.path.join(ROOT, "results", "sweeps", spec.name))
    points_dir = os.path.join(out, "points")
    jobs = make_jobs(spec, pts, dfsim, points_dir, args.timeout)
    lock, reused = open_out(out, jobs)
    seconds = {"setup": round(time.monotonic() - t0, 3)}
    run = make_runner(args, len(jobs) - len(reused))
    try:
        results, run_s = execute(run, args, spec, pts, jobs, reused, out)
        # The local cluster starts within the run (a thread runs points meanwhile).
        seconds["cluster_start"] = round(getattr(run, "start_seconds", 0.0), 3)
        seconds["run"] = round(run_s, 3)
    finally:
        run.close()

    t_table = time.monotonic()
    head = table.header(spec)
    rows = table.build(spec, pts, results, points_dir)
    _write_atomic(os.path.join(out, "sweep.csv"), table.csv_text(head, rows))
    parquet = table.parquet_available()
    if parquet:
        tmp = os.path.join(out, f"sweep.parquet.{TMP_PREFIX}{os.getpid()}")
        table.write_parquet(head, rows, tmp, table.numeric_columns(head, rows, spec))
        os.replace(tmp, os.path.join(out, "sweep.parquet"))
    seconds["table"] = round(time.monotonic() - t_table, 3)
    counts = summary(spec, pts, results, seconds["run"])

    def write_json(plots):
        seconds["total"] = round(time.monotonic() - t0, 3)
        doc = sweep_json(spec, dfsim, pts, results, counts, seconds, run, plots, parquet)
        _write_atomic(os.path.join(out, "sweep.json"), json.dumps(doc, indent=2) + "\n")

    write_json([])  # plot_sweep reads it (units, defaults)
    plots = []
    if not args.no_plot:
        plots = draw_charts(out)
        write_json(plots)
    os.close(lock)
    report(spec, pts, results, counts, head, rows, out, plots, parquet,
           time.monotonic() - t0)
    return 1 if counts["failed"] else 0


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run(argv=None):
    """Entry point of scripts/sweep: exit 2 with one line on bad input, 130 on Ctrl-C."""
    signal.signal(signal.SIGTERM, _terminate)
    code = 0

    def body(a):
        nonlocal code
        code = main(a)
    try:
        run_main(PROG, body, argv)
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            newline = "\n" if sys.stderr.isatty() else ""  # end a progress line
            print(f"{newline}{PROG}: interrupted; finished points are kept and a new run "
                  f"resumes", file=sys.stderr)
        sys.exit(130)
    if "distributed" in sys.modules:
        # Everything is written and the cluster closed; the interpreter's own teardown of
        # Dask's modules, threads and atexit hooks would add about 0.2 s for nothing.
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
