"""dfsim parameter sweeps (scripts/sweep, scripts/plot_sweep, scripts/bench_sweep): shared code.

One module per job:
  expr.py      the tiny arithmetic grammar of derived parameters and filters (no eval)
  spec.py      the sweep spec: strict JSON validation into a Spec
  points.py    the points of a spec: grid and zipped axes, derived values, filters
  probe.py     asks dfsim whether the base configuration and every --set path are valid
  task.py      one point on a worker: one dfsim run of all dataflows, hash, rename (stdlib only)
  runner.py    runs the tasks in-process (--serial) or on Dask (local cluster or --scheduler)
  progress.py  the progress line on stderr
  table.py     the tidy table (CSV, Parquet when pyarrow is importable) from the point folders
  output.py    the table files in OUT, written to temporaries and renamed as one set
  plot.py      the charts of a table (scripts/plot_sweep)
  cli.py       scripts/sweep
  bench.py     scripts/bench_sweep (sweep overhead against a plain shell loop)
The README's "Sweeps" section has the spec format and the output layout.
"""
