#!/usr/bin/env python3
"""pathrules beside libRoadRunner, on the same models, in the same run.

For each case, `pathrules bench` times loading (parse, check, compile) and
simulating with its default BDF (rtol 1e-6, atol 1e-9) and prints JSON;
the same model, exported with `pathrules export sbml`, is loaded and simulated by
libRoadRunner's CVODE at the same tolerances over the same output grid. Prints the
medians and the ratios (libRoadRunner / pathrules: above 1, pathrules is faster).

    python scripts/bench.py target/release/pathrules [--runs 21] [--sizes 10,100,1000,5000]
        [--roadrunner-up-to 1000] [--experiments all|none|a,b]

Cases: the shipped model at rest for 7 days (1001 points), every shipped experiment
(from its steady state, 1001 points), and synthetic linear chains and random
mass-action networks of each size. Above --roadrunner-up-to species only pathrules
runs (libRoadRunner's LLVM load alone takes minutes there), and the ratio is left blank.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import roadrunner

SHIPPED = "pathways/experiments.pathway"


def pathrules_bench(binary, path, runs, experiment=None, until="7d", points=1001):
    args = [binary, "bench", path, "--runs", str(runs), "--points", str(points)]
    args += ["--experiment", experiment] if experiment else ["--until", until]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def roadrunner_bench(binary, path, runs, end, points, experiment=None, load_runs=None):
    args = [binary, "export", "sbml", path]
    if experiment:
        args += ["--experiment", experiment]
    sbml = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    loads, sims = [], []
    rr = None
    for _ in range(load_runs or runs):
        start = time.perf_counter()
        rr = roadrunner.RoadRunner(sbml)
        loads.append(time.perf_counter() - start)
    rr.integrator.relative_tolerance = 1e-6
    rr.integrator.absolute_tolerance = 1e-9
    rr.integrator.maximum_num_steps = 1_000_000
    for _ in range(runs):
        rr.resetAll()
        start = time.perf_counter()
        rr.simulate(0, end, points)
        sims.append(time.perf_counter() - start)
    return statistics.median(loads), statistics.median(sims)


def chain(n):
    lines = ["units time = min, concentration = uM", "species " + ", ".join(
        f"S{i} = {1 if i == 0 else 0} uM" for i in range(n))]
    lines.append("param k = 0.5 /min \"assumption: benchmark\"")
    lines.append("feed: -> S0 ; 0.1 uM/min")
    for i in range(n - 1):
        lines.append(f"r{i}: S{i} -> S{i + 1} @ k")
    lines.append(f"out: S{n - 1} -> @ k")
    return "\n".join(lines) + "\n"


def random_network(n, seed=1):
    rng = random.Random(seed)
    lines = ["units time = min, concentration = uM", "species " + ", ".join(
        f"S{i} = {rng.uniform(0.5, 2):.3f} uM" for i in range(n))]
    for i in range(n):
        lines.append(f"make{i}: -> S{i} ; {rng.uniform(0.01, 0.1):.4f} uM/min")
        lines.append(f"lose{i}: S{i} -> @ {rng.uniform(0.05, 0.5):.4f} /min")
    for j in range(2 * n):
        a, b, c = rng.sample(range(n), 3)
        lines.append(f"bind{j}: S{a} + S{b} <-> S{c} @ {rng.uniform(0.01, 1):.4f} /uM/min, {rng.uniform(0.01, 1):.4f} /min")
    return "\n".join(lines) + "\n"


def row(name, ours, theirs):
    if theirs is None:
        print(f"| {name} | {ours['species']} | {ours['load_s'] * 1e3:.2f} ms | | "
              f"| {ours['simulate_s'] * 1e3:.2f} ms | | | {ours['linear']} |", flush=True)
        return
    load_ratio = theirs[0] / ours["load_s"]
    sim_ratio = theirs[1] / ours["simulate_s"]
    print(f"| {name} | {ours['species']} | {ours['load_s'] * 1e3:.2f} ms | {theirs[0] * 1e3:.1f} ms | {load_ratio:.0f}× "
          f"| {ours['simulate_s'] * 1e3:.2f} ms | {theirs[1] * 1e3:.2f} ms | {sim_ratio:.1f}× | {ours['linear']} |",
          flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--roadrunner-up-to", type=int, default=1000)
    parser.add_argument("--experiments", default="all", help="`all`, `none` or names separated by commas")
    args = parser.parse_args()
    print("| model | species | pathrules load | libRoadRunner load | ratio | pathrules simulate | libRoadRunner simulate | ratio | linear algebra |")
    print("|---|---|---|---|---|---|---|---|---|")
    ours = pathrules_bench(args.binary, SHIPPED, args.runs)
    row("shipped model at rest, 7 d", ours, roadrunner_bench(args.binary, SHIPPED, args.runs, ours["until"], 1001))
    names = []
    if args.experiments == "all":
        doc = json.loads(subprocess.run([args.binary, "run", SHIPPED, "--experiment", "all", "--format", "json"],
                                        check=True, capture_output=True, text=True).stdout)
        names = [e["name"] for e in doc["experiments"]]
    elif args.experiments != "none":
        names = args.experiments.split(",")
    for name in names:
        ours = pathrules_bench(args.binary, SHIPPED, args.runs, experiment=name)
        row(name, ours, roadrunner_bench(args.binary, SHIPPED, args.runs, ours["until"], 1001, experiment=name))
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            for kind, text in [("chain", chain(n)), ("random", random_network(n))]:
                path = os.path.join(tmp, f"{kind}{n}.pathway")
                with open(path, "w") as f:
                    f.write(text)
                runs = args.runs if n <= 100 else (3 if n <= 1000 else 1)
                ours = pathrules_bench(args.binary, path, runs, until="1d")
                theirs = None
                if n <= args.roadrunner_up_to:
                    theirs = roadrunner_bench(args.binary, path, runs, ours["until"], 1001,
                                              load_runs=1 if n > 100 else None)
                row(f"{kind} of {n}", ours, theirs)


if __name__ == "__main__":
    sys.exit(main())
