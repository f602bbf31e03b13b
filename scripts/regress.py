"""Regression by comparison: every figure of today's configurations, before and after a change.

Builds the dfsim of a base revision (default HEAD, the last commit) from `git archive` into
build-regress/ and compares it with the working tree's build/dfsim on a fixed set of runs:
  tiny-*      the tiny networks on every small arch, all six dataflows, functional with --check
              and in --fast mode, with both energy tables;
  eyeriss-*   AlexNet and MobileNet v1 on configs/arch/eyeriss.json, default mappings, --fast;
  zoo-*       LeNet-5 and ResNet-50's layer kinds on eyeriss, default mappings, --fast;
  compare     the main job's quick set (scripts/compare --quick: searched mappings on the ISCA16
              presets, CONV batch 1 checked, FC batch 16 fast), run with each binary by its own
              revision's scripts/compare (what the new job adds counts as added, not differing).
Every result file but timing.json is compared: JSON files figure by figure (each leaf of the
document, by its path), other files byte for byte. A base config.json (the resolved configs,
in the base's dump format) is compared as the new side reads and dumps it: its arch, network
and energy table are written out and given to the new binary's `--dump-config`, so a change of
the dump's form (the arch's levels form, say) is no difference while any value the new reader
reads otherwise is one (and a base config the new side refuses is one). Prints one line per run, then every differing
figure (old -> new) and the keys only the new side writes (additions to a format: listed, not
counted as differences unless --strict), and exits 0 when every figure of the base is equal,
1 when anything differs or a run fails on one side only (a run refused by both sides with the
same message counts as equal).

`--new-args="ARGS"` gives the new side's `dfsim run` extra arguments (e.g. `--new-args="--tiling
perfect"`: a change that adds a default-on feature is compared with it switched off);
they reach scripts/compare's runs too, through a small wrapper script in the output folder.

Usage: scripts/regress [--base REV] [--jobs N] [--out DIR] [--only REGEX] [--list] [--strict]
                       [--new-args="ARGS"]
Run from anywhere with Debian's interpreter; paths are relative to the repository root.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

from dfsim_import import dataflows as dataflow_registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_DATAFLOWS = "all"
SMALL_ARCHS = ["configs/arch/tiny_4x4.json", "configs/arch/tiny_unlimited.json"]
TINY_NETWORKS = ["models/tiny_net.json", "models/tiny_conv.json"]
ENERGY_TABLES = ["configs/energy/isca16_normalized.json", "configs/energy/horowitz45nm_pj.json"]
EYERISS = "configs/arch/eyeriss.json"
NOT_COMPARED = {"timing.json"}  # wall times: never deterministic


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def cases():
    """The runs, as (name, dfsim run arguments); `--out` is added per side."""
    out = []
    for arch in SMALL_ARCHS + [EYERISS]:
        for net in TINY_NETWORKS:
            for energy in ENERGY_TABLES:
                base = ["--arch", arch, "--network", net, "--dataflow", ALL_DATAFLOWS,
                        "--energy", energy]
                name = f"tiny-{stem(arch)}-{stem(net)}-{stem(energy)}"
                out.append((name + "-check", base + ["--check"]))
                out.append((name + "-fast", base + ["--fast", "--batch", "3"]))
    for net in ["models/alexnet.json", "models/mobilenet_v1.json"]:
        out.append((f"eyeriss-{stem(net)}",
                    ["--arch", EYERISS, "--network", net, "--dataflow", ALL_DATAFLOWS, "--fast"]))
    out.append(("zoo-lenet5", ["--arch", EYERISS, "--network", "models/lenet5.json",
                               "--dataflow", ALL_DATAFLOWS, "--fast"]))
    # ResNet-50's bottleneck kinds (1x1, 3x3, strided 1x1 downsample, FC); the whole network
    # takes two minutes.
    resnet_layers = ["conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.0.conv3",
                     "layer2.0.downsample.0", "fc"]
    out.append(("zoo-resnet50-kinds",
                ["--arch", EYERISS, "--network", "models/resnet50.json", "--dataflow",
                 ALL_DATAFLOWS, "--fast"] + [x for n in resnet_layers for x in ("--layer", n)]))
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def build_base(rev, cache):
    """Builds the dfsim of `rev` (once per commit) and returns (binary, full commit id, the
    folder holding that commit's sources)."""
    sha = run(["git", "-C", ROOT, "rev-parse", "--verify", rev + "^{commit}"])
    if sha.returncode != 0:
        sys.exit(f"regress: error: --base {rev}: not a commit of {ROOT}")
    sha = sha.stdout.strip()
    src = os.path.join(cache, "src-" + sha[:12])
    bld = os.path.join(cache, "build-" + sha[:12])
    binary = os.path.join(bld, "dfsim")
    if not os.path.isdir(src):
        tmp = src + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", tmp], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            sys.exit(f"regress: error: git archive {sha} failed")
        os.rename(tmp, src)
    print(f"regress: building base {sha[:12]} in {os.path.relpath(bld, ROOT)}", file=sys.stderr)
    for cmd in (["cmake", "-S", src, "-B", bld, "-DCMAKE_BUILD_TYPE=Release",
                 "-DBUILD_TESTING=OFF"],
                ["cmake", "--build", bld, "--target", "dfsim", "-j", str(os.cpu_count() or 2)]):
        r = run(cmd)
        if r.returncode != 0:
            sys.exit(f"regress: error: building base failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return binary, sha, src


def build_new():
    bld = os.path.join(ROOT, "build")
    print("regress: building the working tree in build", file=sys.stderr)
    r = run(["cmake", "-S", ROOT, "-B", bld, "-DCMAKE_BUILD_TYPE=Release"])
    if r.returncode == 0:
        r = run(["cmake", "--build", bld, "--target", "dfsim", "-j", str(os.cpu_count() or 2)])
    if r.returncode != 0:
        sys.exit(f"regress: error: building build/dfsim failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return os.path.join(bld, "dfsim")


def wrap_with_args(binary, extra, out):
    """A script that runs `binary` with `extra` inserted after a `run` command (other commands
    pass through), so that scripts/compare's runs get them too."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "dfsim-new")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                f'if [ "$1" = run ]; then shift; exec {shlex.quote(binary)} run '
                f'{" ".join(shlex.quote(x) for x in extra)} "$@"; fi\n'
                f'exec {shlex.quote(binary)} "$@"\n')
    os.chmod(path, 0o755)
    return path


def run_case(binary, args, out_dir):
    """Runs one case; returns (exit code, stderr's last line)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    r = run([binary, "run"] + args + ["--out", out_dir, "--quiet"], cwd=ROOT, env=env)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    return r.returncode, last


def run_compare(binary, out_dir, dataflows, root):
    """scripts/compare --quick of the source tree `root` (each side's own job: a newer job may
    ask a base dfsim for what it lacks) with `binary`; the dataflow list is given (the new
    binary's registry) because a base dfsim may predate `dfsim dataflows`."""
    shutil.rmtree(out_dir, ignore_errors=True)
    r = run([os.path.join(root, "scripts", "compare"), "--quick", "--dfsim", binary,
             "--out", out_dir, "--jobs", "1", "--dataflows", ",".join(dataflows)], cwd=root)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    return r.returncode, last


def leaves(doc, path=""):
    """Every leaf of a JSON document as {path: value}."""
    out = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.update(leaves(v, f"{path}.{k}" if path else k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.update(leaves(v, f"{path}[{i}]"))
    else:
        out[path] = doc
    return out


def result_files(folder):
    found = []
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if f in NOT_COMPARED:
                continue
            found.append(os.path.relpath(os.path.join(dirpath, f), folder))
    return set(found)


def config_as_new(doc, new_bin, scratch):
    """A base config.json document as the new binary reads and dumps it (its --dump-config of
    the same arch, network and energy table), or {"refused by the new side": message}."""
    os.makedirs(scratch, exist_ok=True)
    paths = {}
    for key in ("arch", "network", "energy"):
        paths[key] = os.path.join(scratch, f"{key}.json")
        with open(paths[key], "w", encoding="utf-8") as f:
            json.dump(doc.get(key), f)
    r = subprocess.run([new_bin, "run", "--arch", paths["arch"], "--network", paths["network"],
                        "--energy", paths["energy"], "--dump-config"],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        return {"refused by the new side": r.stderr.strip()}
    return json.loads(r.stdout)


def compare_folders(old, new, new_bin=None):
    """Returns (figures compared, difference lines, addition lines): an addition is a file or
    a JSON leaf only the new side has (a new file or key of the format); every other mismatch,
    a file or leaf only the base has included, is a difference. With `new_bin`, base
    config.json files are compared as that binary reads them (config_as_new)."""
    diffs = []
    added = []
    figures = 0
    a, b = result_files(old), result_files(new)
    for f in sorted(a - b):
        diffs.append(f"{f}: only in base")
    for f in sorted(b - a):
        added.append(f"{f}: only in new")
    for f in sorted(a & b):
        pa, pb = os.path.join(old, f), os.path.join(new, f)
        if f.endswith(".json"):
            with open(pa, encoding="utf-8") as fa, open(pb, encoding="utf-8") as fb:
                da, db = json.load(fa), json.load(fb)
            if new_bin is not None and os.path.basename(f) == "config.json":
                da = config_as_new(da, new_bin, os.path.join(new, ".regress-config"))
            la, lb = leaves(da), leaves(db)
            figures += len(set(la) | set(lb))
            for k in sorted(set(la) | set(lb)):
                if k not in lb:
                    diffs.append(f"{f}: {k}: only in base ({la[k]!r})")
                elif k not in la:
                    added.append(f"{f}: {k}: only in new ({lb[k]!r})")
                elif la[k] != lb[k]:
                    diffs.append(f"{f}: {k}: {la[k]!r} -> {lb[k]!r}")
        else:
            with open(pa, "rb") as fa, open(pb, "rb") as fb:
                same = fa.read() == fb.read()
            figures += 1
            if not same:
                diffs.append(f"{f}: bytes differ")
    return figures, diffs, added


def normalise_paths(diffs, pairs):
    """Drops differences that are only the sides' own paths (output folders, binaries), as in
    the dfsim commands that summary.json records. `pairs` holds (base path, new path)."""
    out = []
    for d in diffs:
        if " -> " in d:
            left, right = d.rsplit(" -> ", 1)
            value = left.rsplit(": ", 1)[1]
            for p_old, p_new in pairs:
                value, right = value.replace(p_old, "\0"), right.replace(p_new, "\0")
            if value == right:
                continue
        out.append(d)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare every figure of today's configurations "
                                 "between a base revision and the working tree.")
    ap.add_argument("--base", default="HEAD", help="git revision to compare against (default HEAD)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="runs at a time")
    ap.add_argument("--out", default=os.path.join(ROOT, "build-regress", "runs"),
                    help="where both sides' results go (default build-regress/runs)")
    ap.add_argument("--only", default="", help="run only the cases whose name matches REGEX")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--strict", action="store_true",
                    help="count keys only the new side writes as differences too")
    ap.add_argument("--no-compare", action="store_true", help="skip the scripts/compare run")
    ap.add_argument("--new-args", default="", metavar="ARGS",
                    help="extra `dfsim run` arguments for the new side only (shell words)")
    a = ap.parse_args(argv)

    todo = [(n, args) for n, args in cases() if re.search(a.only, n)]
    with_compare = not a.no_compare and re.search(a.only, "compare")
    if a.list:
        for n, args in todo:
            print(n, " ".join(args))
        if with_compare:
            print("compare scripts/compare --quick")
        return 0

    base_bin, sha, base_src = build_base(a.base, os.path.join(ROOT, "build-regress"))
    new_bin = build_new()
    # A base config.json is read back by the new binary itself, without --new-args: a dump
    # states every key, and the extra arguments may not apply to its form (a --set of the
    # legacy glb on the levels form of the dump, say).
    reader_bin = new_bin
    out = os.path.abspath(a.out)
    if a.new_args:
        new_bin = wrap_with_args(new_bin, shlex.split(a.new_args), out)
    sides = {"base": base_bin, "new": new_bin}
    roots = {"base": base_src, "new": ROOT}
    registry = dataflow_registry.names(new_bin) if with_compare else ()

    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for name, args in todo:
            for side, binary in sides.items():
                jobs.append((name, side, pool.submit(run_case, binary, args,
                                                     os.path.join(out, side, name))))
        if with_compare:
            for side, binary in sides.items():
                jobs.append(("compare", side, pool.submit(run_compare, binary,
                                                          os.path.join(out, side, "compare"),
                                                          registry, roots[side])))
        results = {}
        for name, side, fut in jobs:
            results[(name, side)] = fut.result()

    names = [n for n, _ in todo] + (["compare"] if with_compare else [])
    total_diffs = 0
    total_figures = 0
    total_added = 0
    added_keys = set()
    report = []
    print(f"regress: base {sha[:12]} vs working tree; {len(names)} runs per side")
    for name in names:
        (rc_a, msg_a), (rc_b, msg_b) = results[(name, "base")], results[(name, "new")]
        old, new = os.path.join(out, "base", name), os.path.join(out, "new", name)
        if rc_a != 0 or rc_b != 0:
            same = rc_a == rc_b and msg_a == msg_b
            status = "refused alike" if same else "DIFFERS"
            print(f"  {name:58} exit {rc_a} vs {rc_b}: {status}")
            if not same:
                total_diffs += 1
                report.append(f"{name}: base exit {rc_a} ({msg_a}); new exit {rc_b} ({msg_b})")
            continue
        figures, diffs, added = compare_folders(old, new, reader_bin)
        if a.strict:
            diffs, added = diffs + added, []
        pairs = [(old, new), (base_bin, new_bin)]
        pairs += [(os.path.relpath(p, ROOT), os.path.relpath(q, ROOT)) for p, q in pairs]
        diffs = normalise_paths(diffs, pairs)
        total_figures += figures
        total_diffs += len(diffs)
        total_added += len(added)
        print(f"  {name:58} {figures:7} figures, {len(diffs)} differ"
              + (f", {len(added)} added" if added else ""))
        report += [f"{name}: {d}" for d in diffs]
        added_keys.update(re.sub(r"raw/[^/]+/", "raw/*/",
                                 re.sub(r"\[\d+\]", "[]", d.split(": only in new")[0]))
                          for d in added)
    if report:
        print("\nDifferences (base -> new):")
        for line in report[:400]:
            print("  " + line)
        if len(report) > 400:
            print(f"  ... and {len(report) - 400} more")
    if added_keys:
        print("\nAdded in new (keys the base does not write; not a difference unless --strict):")
        for k in sorted(added_keys)[:100]:
            print("  " + k)
        if len(added_keys) > 100:
            print(f"  ... and {len(added_keys) - 100} more")
    print(f"regress: {total_figures} figures compared, {total_diffs} differ, "
          f"{total_added} added")
    return 1 if total_diffs else 0


if __name__ == "__main__":
    sys.exit(main())
