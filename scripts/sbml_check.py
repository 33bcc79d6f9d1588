#!/usr/bin/env python3
"""Checks pathrules' SBML export against the tools modellers already use.

For every experiment of a pathway file: `pathrules export sbml --experiment E` must
validate in libSBML with no errors, and libRoadRunner (CVODE at rtol 1e-10,
atol 1e-14) must reproduce pathrules' own trajectory (BDF at the same tolerances) of
every species at every output time within |a - b| <= atol + rtol * |b|, rtol 1e-4,
atol 1e-9 (model concentration units).

    python scripts/sbml_check.py target/debug/pathrules pathways/experiments.pathway

Prints one line per experiment with its worst relative difference, then a summary
line `N passed, M failed`; exits 1 if any experiment failed.
"""

import json
import os
import subprocess
import sys
import tempfile

import libsbml
import roadrunner

RTOL = 1e-4
ATOL = 1e-9
SOLVER = ["--rtol", "1e-10", "--atol", "1e-14"]


def run(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def validate(path):
    """The libSBML errors (not warnings) of a file."""
    doc = libsbml.readSBMLFromFile(path)
    doc.checkConsistency()
    return [
        doc.getError(i).getMessage().strip()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]


def simulate(path, times):
    rr = roadrunner.RoadRunner(path)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    rr.integrator.maximum_num_steps = 1_000_000
    result = rr.simulate(times=times)
    return {name.strip("[]"): result[:, k] for k, name in enumerate(result.colnames)}


def main():
    binary, pathway = sys.argv[1], sys.argv[2]
    doc = json.loads(run([binary, "run", pathway, "--experiment", "all", "--format", "json"] + SOLVER))
    passed = failed = 0
    worst_overall = (0.0, "")
    with tempfile.TemporaryDirectory() as tmp:
        for experiment in doc["experiments"]:
            name = experiment["name"]
            xml = os.path.join(tmp, f"{name}.xml")
            run([binary, "export", "sbml", pathway, "--experiment", name, "-o", xml])
            problems = [f"libSBML: {e}" for e in validate(xml)]
            # SBML ids of species: the name attribute holds pathrules' name.
            model = libsbml.readSBMLFromFile(xml).getModel()
            ids = {model.getSpecies(i).getName(): model.getSpecies(i).getId()
                   for i in range(model.getNumSpecies())}
            times = experiment["time"]
            rr = simulate(xml, times) if not problems else {}
            worst = (0.0, "")
            for variable in experiment["variables"]:
                sid = ids.get(variable["name"])
                if sid is None or not rr:
                    continue
                ours = variable["values"]
                theirs = rr[sid]
                for t, a, b in zip(times, theirs, ours):
                    excess = abs(a - b) / (ATOL + RTOL * abs(b))
                    relative = abs(a - b) / max(abs(b), ATOL)
                    if excess > 1:
                        problems.append(f"{variable['name']} at t = {t}: libRoadRunner {a}, pathrules {b}")
                    if relative > worst[0]:
                        worst = (relative, f"{variable['name']} at t = {t}")
            if problems:
                failed += 1
                print(f"FAIL {name}: " + "; ".join(problems[:3]))
            else:
                passed += 1
                print(f"pass {name}: worst relative difference {worst[0]:.2e} ({worst[1]})")
            if worst[0] > worst_overall[0]:
                worst_overall = (worst[0], f"{name}: {worst[1]}")
    print(f"worst relative difference over all experiments: {worst_overall[0]:.2e} ({worst_overall[1]})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
