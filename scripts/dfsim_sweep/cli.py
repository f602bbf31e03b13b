"""scripts/sweep: runs a sweep spec and writes the table, sweep.json and the charts.

Order of work: validate the spec and walk its grid once (counts only: the points are generated
lazily every time, never held), ask dfsim about the base run and the --set paths (any problem:
exit 2, nothing written); with --scheduler, connect to it (a dead one: exit 2, nothing
created); create OUT, take its lock, remove what a killed sweep left (clean_stale) and scan
OUT/points once for the input keys of finished points (those points are reused, nothing runs
for them); start the local Dask cluster (only if some point is left) and run one dfsim process
per remaining point (results under OUT/points/<hash>/), submitting jobs only as the runner's
window has room; write OUT/sweep.csv, sweep.json, sweep.parquet (when pyarrow imports) and
OUT/plots/ as one set (output.py: temporaries first, then renames).
Exit 0 when every point that ran succeeded, 1 when some failed (the table and charts are still
written) or when an output file cannot be written (OutputError: one line, the old files kept),
2 on bad input, 130 when interrupted (finished points are kept for a resume).
"""

import argparse
import contextlib
import csv
import fcntl
import json
import os
import shutil
import signal
import sys
import tempfile
import time

from dfsim_import import dataflows as dataflow_registry
from dfsim_import.common import InputError, run_main

from . import columns, points as points_mod, probe, runner, table, task
from . import spec as spec_mod
from .output import FileSet, OutputError
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


class Jobs:
    """Makes the task dict (task.run_point) of a point that runs, with its input key."""

    def __init__(self, spec, dfsim, points_dir, timeout):
        self.spec, self.dfsim, self.points_dir, self.timeout = spec, dfsim, points_dir, timeout
        self.flags = ["--fast"] if spec.fast else []
        if spec.search:
            self.flags += ["--search", "--objective", spec.search]
        if spec.tiling:
            self.flags += ["--tiling", spec.tiling]
        # dfsim reports layers in network order whatever the order of --layer: sorted here.
        # The dataflows belong to the settings: a point's folder holds the results of all.
        self.settings = {"layers": sorted(spec.layers) if spec.layers else None,
                         "dataflows": list(spec.dataflows), "fast": spec.fast,
                         "search": spec.search}
        if spec.tiling:  # absent otherwise: the input keys of older specs stay the same
            self.settings["tiling"] = spec.tiling
        try:
            self.digests = {doc: task.file_digest(getattr(spec, doc))
                            for doc in spec_mod.DOCUMENTS}
        except OSError as e:
            raise InputError(spec.display, f"cannot read {e.filename} ({e.strerror})") \
                from None
        self.base = probe.base_args(spec)

    def key(self, point):
        """The input key of a point that runs."""
        return task.input_key(self.digests, point.set_args(), self.spec.batch, self.settings)

    def job(self, point, key=None):
        """The task dict of a point that runs."""
        spec = self.spec
        return {"index": point.index, "dfsim": self.dfsim, "cwd": spec.dir, "base": self.base,
                "sets": point.set_args(), "dataflows": list(spec.dataflows),
                "flags": self.flags, "run_settings": self.settings,
                "points_dir": self.points_dir, "key": key or self.key(point),
                "timeout": self.timeout, "stop_event": None}


def make_runner(args, n_jobs, client_runner=None):
    """The runner: the one connected to --scheduler, serial when asked or when nothing runs,
    else a local Dask cluster."""
    if client_runner is not None:
        return client_runner
    if args.serial or n_jobs == 0:
        return runner.SerialRunner()
    workers = min(args.workers or runner.cores(), n_jobs)
    return runner.DaskRunner(workers=workers, verbose=args.verbose, expected=n_jobs)


def _lock(out):
    """Holds OUT/.sweep.lock (released when the process ends); InputError when another sweep
    is writing to the same folder."""
    try:
        fd = os.open(os.path.join(out, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise InputError(f"--out {out}", f"cannot create {LOCK_NAME} ({e.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(f"--out {out}", "another sweep is writing to this folder "
                                         f"({LOCK_NAME} is locked)") from None
    return fd


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def clean_stale(out):
    """Removes what an interrupted sweep (or its dfsim processes) left, under OUT's lock:
    `.tmp-*` files and folders in OUT and OUT/plots (table files and charts not yet renamed)
    and, in OUT/points, the point folders `.tmp-*` and dfsim's own temporaries and locks
    beside them (`..tmp-*`, see task.is_temporary). None of them is ever a result."""
    for folder, is_temp in ((out, lambda n: n.startswith(TMP_PREFIX)),
                            (os.path.join(out, "plots"), lambda n: n.startswith(TMP_PREFIX)),
                            (os.path.join(out, "points"), task.is_temporary)):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if is_temp(name):
                _remove(os.path.join(folder, name))


class Best:
    """The point with the smallest objective over all layers per dataflow, among points whose
    dataflow ran ok, fed one point's table rows at a time."""

    def __init__(self, spec, head):
        self.spec, self.head = spec, head
        self.best = {}  # dataflow -> (point index, objective, values)
        self.unit = ""  # the energy unit of the first ok row

    def add(self, point, rows):
        groups = {}
        for r in rows:
            rec = dict(zip(self.head, r))
            if rec["status"] == "ok":
                self.unit = self.unit or rec["energy_unit"]
                groups.setdefault(rec["dataflow"], []).append(
                    {k: float(rec[k]) for k in columns.METRICS if rec.get(k, "") != ""})
        for df, layer_rows in groups.items():
            try:
                value = columns.aggregate(layer_rows, self.spec.objective)
            except KeyError:
                continue
            if df not in self.best or value < self.best[df][1]:
                self.best[df] = (point.index, value, dict(point.values))


def summary(grid, results, n_reused, dataflows, jobs_seconds):
    """Counts for sweep.json and the closing lines. `results` holds the points that ran in
    this sweep; the n_reused others that run were found by their input key. runs_* count
    point x dataflow results; dfsim_calls the dfsim processes started for points (one per
    point not found by its input key; the up-front checks are not counted); reused_by_key the
    points found by their input key (no process)."""
    runs = [r for res in results.values() for r in res["runs"].values()]
    ok = sum(r["status"] == "ok" for r in results.values())
    return {
        "points": grid.total,
        "skipped": grid.skipped,
        "ran": len(results) + n_reused,
        "ok": ok + n_reused,
        "failed": len(results) - ok,
        "reused_by_key": n_reused + sum(bool(r.get("by_key")) for r in results.values()),
        "runs_simulated": sum(r["status"] == "simulated" for r in runs),
        "runs_reused": sum(r["status"] == "reused" for r in runs) + n_reused * len(dataflows),
        "runs_failed": sum(r["status"] == "failed" for r in runs),
        "dfsim_calls": sum(r["dfsim_calls"] for r in results.values()),
        "dfsim_seconds": round(sum(r.get("seconds", 0.0) for r in results.values()), 3),
        "run_seconds": round(jobs_seconds, 3),
    }


def sweep_json_head(spec, dfsim, counts, seconds, run, plots, parquet):
    """The document OUT/sweep.json without its points: the setup, counts and times."""
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
    }


def point_entry(p, result):
    """One point of sweep.json's `points`."""
    skipped = p.skip is not None
    return {
        "point": p.index,
        "values": dict(p.values),
        "sets": [] if skipped else p.set_args(),
        "status": "skipped" if skipped else result["status"],
        "reason": p.skip,
        "hash": None if skipped else result["hash"],
        "error": None if skipped else (result["error"] or None),
        "seconds": None if skipped else round(result["seconds"], 3),
        "runs": {} if skipped else result["runs"],
    }


def _indented(doc, spaces):
    pad = " " * spaces
    return "\n".join(pad + line for line in json.dumps(doc, indent=2).splitlines())


def prepare(args):
    """Everything checked before anything is written: (dfsim, spec, grid). InputError (exit
    2) on any problem. The grid is walked once here (an expression error anywhere is found
    now) and generated again whenever it is needed, never held."""
    dfsim = resolve_dfsim(args)
    spec = spec_mod.load(args.spec, dataflow_registry.names(dfsim))
    grid = points_mod.Grid(spec, keep_skipped=MAX_SKIP_LINES)
    probe.check_base(dfsim, spec)
    probe.check_paths(dfsim, spec, [grid.first] if grid.first else [])
    return dfsim, spec, grid


def open_out(out):
    """Creates OUT/points, takes OUT's lock, removes stale temporaries (clean_stale) and scans
    the point folders' input keys once: (lock file descriptor, {input key: hash})."""
    points_dir = os.path.join(out, "points")
    try:
        os.makedirs(points_dir, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}", f"cannot create the folder ({e.strerror})") from None
    lock = _lock(out)
    clean_stale(out)
    return lock, task.key_index(points_dir)


def execute(run, args, spec, grid, jobs_iter, n_reused, n_to_run, out):
    """Announces the sweep and runs the jobs of the iterator jobs_iter (the points that run
    and are not reused), with a progress line: (results by point index of the points that
    ran, run seconds)."""
    print(f"{PROG}: {spec.name}: {grid.total} points ({grid.skipped} skipped) x "
          f"{len(spec.dataflows)} dataflow{'s' if len(spec.dataflows) > 1 else ''}, "
          f"{run.description}; results in {out}", file=sys.stderr, flush=True)
    if not args.quiet:
        for p in grid.first_skipped:
            print(f"{PROG}: skipping point {p.index}: {p.skip}", file=sys.stderr)
        if grid.skipped > MAX_SKIP_LINES:
            print(f"{PROG}: ... and {grid.skipped - MAX_SKIP_LINES} more skipped points (see "
                  f"sweep.json)", file=sys.stderr)
    if n_reused and not args.quiet:
        print(f"{PROG}: {n_reused} of {grid.runnable} points already done (reused)",
              file=sys.stderr)
    progress = Progress(grid.runnable, grid.skipped, prog=PROG, enabled=not args.quiet)
    results = {}

    def on_result(result):
        results[result["index"]] = result
        progress.update(result["status"] != "ok")

    start = time.monotonic()
    progress.advance(n_reused)
    if n_to_run:
        run.run(jobs_iter, on_result)
    progress.close()
    return results, time.monotonic() - start


def write_outputs(files, spec, grid, results, index, jobs, out):
    """Pass over the grid writing the temporaries of sweep.csv and of sweep.json's points
    (an unnamed temporary file, gone when closed): one point at a time, so memory does not
    grow with the grid. Returns (header, rows written, Best, the points part: a file object
    positioned at its end)."""
    points_dir = os.path.join(out, "points")
    csv_final = os.path.join(out, "sweep.csv")
    head = table.header(spec)
    best = Best(spec, head)
    n_rows = 0
    f = files.open(csv_final, rank=2)
    try:
        part = tempfile.TemporaryFile("w+", dir=out, encoding="utf-8", newline="\n")
    except OSError as e:
        files.abort()
        raise OutputError(os.path.join(out, "sweep.json"), e.strerror or str(e)) from None
    where = csv_final
    try:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(head)
        first = True
        for p in grid:
            result = None
            if p.skip is None:
                result = results.get(p.index)
                if result is None:
                    digest = index.get(jobs.key(p))
                    if digest is not None:
                        result = task.reused_result(
                            {"index": p.index, "dataflows": spec.dataflows}, digest)
            rows = table.point_rows(spec, p, result, points_dir)
            where = csv_final
            writer.writerows(rows)
            n_rows += len(rows)
            best.add(p, rows)
            if result is None and p.skip is None:
                result = runner.failed_result({"index": p.index, "dataflows": spec.dataflows},
                                              "not run")
            where = os.path.join(out, "sweep.json")
            part.write(("" if first else ",\n") + _indented(point_entry(p, result), 4))
            first = False
    except OSError as e:
        for opened in (f, part):
            with contextlib.suppress(OSError):
                opened.close()  # may fail again flushing
        files.abort()
        raise OutputError(where, e.strerror or str(e)) from None
    files.close(f)
    return head, n_rows, best, part


def write_json(files, part, head_doc, out):
    """The temporary of sweep.json: head_doc with the points copied from `part`, formatted
    as json.dumps(doc, indent=2) would."""
    final = os.path.join(out, "sweep.json")
    f = files.open(final, rank=3)
    try:
        text = json.dumps(dict(head_doc, points=[]), indent=2)
        assert text.endswith('"points": []\n}')
        f.write(text[:-len("[]\n}")] + "[\n")
        part.seek(0)
        shutil.copyfileobj(part, f)
        f.write("\n  ]\n}\n")
    except OSError as e:
        with contextlib.suppress(OSError):
            f.close()  # may fail again flushing
        files.abort()
        raise OutputError(final, e.strerror or str(e)) from None
    finally:
        part.close()
    files.close(f)


def draw_charts(files, out, meta, counts):
    """Draws the sweep's charts into a temporary folder OUT/.tmp-<pid>-plots from the
    temporary sweep.csv, and registers each for OUT/plots (rank 0: renamed first). Returns
    their paths relative to OUT, or [] with a note on stderr when there is nothing to draw.
    OutputError when a chart cannot be written."""
    csv_final = os.path.join(out, "sweep.csv")
    if not counts["ok"]:  # the table is not even read
        print(f"{PROG}: no charts: {csv_final}: nothing to plot: no row has status ok",
              file=sys.stderr)
        return []
    csv_tmp = files.temp_of(csv_final)
    plots_dir = os.path.join(out, "plots")
    tmp_dir = files.temp_dir(plots_dir)  # removed by the commit or abort
    try:
        from . import plot  # matplotlib: only when charts are drawn
        written = plot.draw(csv_tmp, tmp_dir, meta=meta)
        os.makedirs(plots_dir, exist_ok=True)
    except InputError as e:
        print(f"{PROG}: no charts: {e.where.replace(csv_tmp, csv_final)}: {e.what}",
              file=sys.stderr)
        return []
    except ImportError as e:
        print(f"{PROG}: no charts: {e} (install Debian's python3-matplotlib)",
              file=sys.stderr)
        return []
    except OSError as e:
        files.abort()
        name = os.path.basename(e.filename or "")
        name = name.split("-", 2)[-1] if name.startswith(TMP_PREFIX) else name
        raise OutputError(os.path.join(plots_dir, name) if name else plots_dir,
                          e.strerror or str(e)) from None
    for path in written:
        final = os.path.join(plots_dir, os.path.basename(path))
        files.add(path, final, rank=0)
        files.sync(final)
    return [os.path.relpath(os.path.join(plots_dir, os.path.basename(p)), out)
            for p in written]


def remove_old_charts(out, plots):
    """Removes charts in OUT/plots that this sweep did not draw (after the commit)."""
    keep = {os.path.basename(p) for p in plots}
    plots_dir = os.path.join(out, "plots")
    with contextlib.suppress(OSError):
        for name in os.listdir(plots_dir):
            if name.endswith(".png") and name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(plots_dir, name))


def report(spec, results, counts, n_rows, best, out, plots, parquet, elapsed):
    """The closing lines on stdout: counts, files, the best point per dataflow, failures."""
    print(f"{PROG}: {counts['ran']} points ran ({counts['ok']} ok, {counts['failed']} failed)"
          f", {counts['skipped']} skipped; dfsim runs: {counts['runs_simulated']} simulated, "
          f"{counts['runs_reused']} reused, {counts['runs_failed']} failed; "
          f"{clock(elapsed)} total")
    print(f"table: {os.path.join(out, 'sweep.csv')} ({n_rows} rows)"
          + ("" if parquet else "; no sweep.parquet (pyarrow is not installed)"))
    for p in plots:
        print(f"chart: {os.path.join(out, p)}")
    for df, (point, value, values) in sorted(best.best.items(),
                                             key=lambda kv: spec.dataflows.index(kv[0])):
        vals = ", ".join(f"{k}={points_mod.cell_text(v)}" for k, v in values.items())
        print(f"best {spec.objective} for {df}: {value:.6g} "
              f"{columns.metric_unit(spec.objective, best.unit)} at point {point} ({vals})")
    for res in sorted(results.values(), key=lambda r: r["index"]):
        if res["status"] != "ok":
            print(f"failed point {res['index']}: {res['error']}")


def main(argv=None):
    """Runs the sweep; returns the exit status (see the module docstring)."""
    t0 = time.monotonic()
    args = parse_args(argv)
    dfsim, spec, grid = prepare(args)
    out = os.path.abspath(args.out or os.path.join(ROOT, "results", "sweeps", spec.name))
    points_dir = os.path.join(out, "points")
    jobs = Jobs(spec, dfsim, points_dir, args.timeout)
    # A dead --scheduler is refused here, before anything is created (exit 2).
    remote = (runner.DaskRunner(address=args.scheduler, verbose=args.verbose)
              if args.scheduler else None)
    run = None
    try:
        lock, index = open_out(out)
        n_reused = sum(jobs.key(p) in index for p in grid if p.skip is None) \
            if index else 0
        n_to_run = grid.runnable - n_reused
        seconds = {"setup": round(time.monotonic() - t0, 3)}
        run = make_runner(args, n_to_run, remote)
        # Generated as the runner takes them: the key of each point is computed again
        # rather than held.
        pending = (jobs.job(p, key) for p in grid if p.skip is None
                   for key in [jobs.key(p)] if key not in index)
        results, run_s = execute(run, args, spec, grid, pending, n_reused, n_to_run, out)
        # The local cluster starts within the run (a thread runs points meanwhile).
        seconds["cluster_start"] = round(getattr(run, "start_seconds", 0.0), 3)
        seconds["run"] = round(run_s, 3)
    finally:
        if run or remote:
            (run or remote).close()

    files = FileSet()
    try:
        return _write_and_report(args, dfsim, spec, grid, out, jobs, index, results, n_reused,
                                 run, seconds, files, lock, t0)
    except BaseException:
        files.abort()  # an error or Ctrl-C: no temporary left (a kill -9: the next run's)
        raise


def _write_and_report(args, dfsim, spec, grid, out, jobs, index, results, n_reused, run,
                      seconds, files, lock, t0):
    """The output half of main: the table files as one set, then the closing lines."""
    t_table = time.monotonic()
    counts = summary(grid, results, n_reused, spec.dataflows, seconds["run"])
    head, n_rows, best, part = write_outputs(files, spec, grid, results, index, jobs, out)
    parquet = table.parquet_available()
    if parquet:
        final = os.path.join(out, "sweep.parquet")
        tmp = files.temp_path(final, rank=1)
        try:
            table.write_parquet(files.temp_of(os.path.join(out, "sweep.csv")), tmp, spec)
        except OSError as e:
            part.close()
            files.abort()
            raise OutputError(final, e.strerror or str(e)) from None
        files.sync(final)
    seconds["table"] = round(time.monotonic() - t_table, 3)
    head_doc = sweep_json_head(spec, dfsim, counts, seconds, run, [], parquet)
    plots = []
    if not args.no_plot:
        try:
            plots = draw_charts(files, out, head_doc, counts)
        except BaseException:
            part.close()
            raise
    seconds["total"] = round(time.monotonic() - t0, 3)
    head_doc["plots"] = plots
    write_json(files, part, head_doc, out)
    files.commit()
    if not args.no_plot:
        remove_old_charts(out, plots)
    os.close(lock)
    report(spec, results, counts, n_rows, best, out, plots, parquet,
           time.monotonic() - t0)
    return 1 if counts["failed"] else 0


def _terminate(signum, _frame):
    task.CHILDREN.kill_all()  # their process groups, at once (they die with us anyway)
    raise KeyboardInterrupt(f"signal {signum}")


def run(argv=None):
    """Entry point of scripts/sweep: exit 2 with one line on bad input, 130 on Ctrl-C."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    code = 0

    def body(a):
        nonlocal code
        code = main(a)
    try:
        run_main(PROG, body, argv)
    except OutputError as e:
        with contextlib.suppress(Exception):
            sys.stderr.write(f"{PROG}: error: {e}\n")
        sys.exit(1)
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
