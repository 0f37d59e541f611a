#!/usr/bin/env python3
"""Every lossless pass alone, and the default pipeline (-O1), on every fixture zoo model.

For each model and each pipeline: `onnx-lite optimize -p PASS` (or -O1) writes the rewritten model;
onnx.checker must accept it (full_check: strict shape inference against its value_info);
onnxruntime must load it and give the same outputs as the original on seeded random inputs at
batch 1 and 2 (max error relative to each output's largest magnitude <= 1e-4, onnxruntime's own
graph optimizations off so that only our rewrite is compared); and the graph's inputs and outputs
must keep their names. The node counts before and after -O1 are printed. Exits 77 (skipped) when
the zoo has not been generated; prints 'N passed, M failed'.

usage: passes_equivalence.py ONNX_LITE [--passes a,b] [--no-o1] [MODEL ...]
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

from zoo_vs_onnxruntime import make_inputs

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOLERANCE = 1e-4
BATCHES = (1, 2)


def lossless_passes(binary):
    """Names of the lossless passes, from `onnx-lite passes`."""
    r = subprocess.run([binary, "passes"], capture_output=True, text=True, check=True)
    names = []
    for line in r.stdout.splitlines():
        m = re.match(r"^([a-z][a-z0-9-]*)\s+\[([^\]]*)\]", line)
        if m and "lossless" in m.group(2).split(", "):
            names.append(m.group(1))
    return names


def session(path):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def max_error(expected, got):
    worst = 0.0
    for ref, out in zip(expected, got):
        if ref.shape != out.shape:
            raise ValueError(f"shape {out.shape}, expected {ref.shape}")
        if ref.size == 0:
            continue
        if not np.issubdtype(ref.dtype, np.floating):
            if not np.array_equal(ref, out):
                return float("inf")
            continue
        scale = max(float(np.max(np.abs(ref))), 1e-30)
        worst = max(worst, float(np.max(np.abs(out.astype(np.float64) - ref))) / scale)
    return worst


def check(binary, model, pipeline, reference, tmp):
    """None when the rewrite is equivalent, else what is wrong."""
    out = os.path.join(tmp, "out.onnx")
    args = [binary, "optimize", model, "-o", out] + (["-O1"] if pipeline == "-O1" else ["-p", pipeline])
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return f"optimize failed: {r.stderr.strip()}"
    try:
        onnx.checker.check_model(out, full_check=True)
        sess = session(out)
    except Exception as e:   # the checker and onnxruntime raise their own types
        return f"{type(e).__name__}: {str(e).strip()[:300]}"
    ref_sess = reference["session"]
    if [i.name for i in sess.get_inputs()] != [i.name for i in ref_sess.get_inputs()]:
        return "graph inputs changed"
    if [o.name for o in sess.get_outputs()] != [o.name for o in ref_sess.get_outputs()]:
        return "graph outputs changed"
    worst = 0.0
    for batch in BATCHES:
        feeds, expected = reference["runs"][batch]
        try:
            worst = max(worst, max_error(expected, sess.run(None, feeds)))
        except Exception as e:
            return f"batch {batch}: {type(e).__name__}: {str(e).strip()[:300]}"
    if worst > TOLERANCE:
        return f"max relative error {worst:.3g} > {TOLERANCE}"
    return None


def node_count(path):
    return len(onnx.load(path, load_external_data=False).graph.node)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("models", nargs="*")
    ap.add_argument("--passes", help="comma-separated passes to check alone (default: every lossless one)")
    ap.add_argument("--no-o1", action="store_true", help="do not check the -O1 pipeline")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    models = args.models or sorted(glob.glob(os.path.join(REPO, "tests", "fixtures", "zoo", "*.onnx")))
    if not models:
        print("fixture zoo not generated (scripts/export-fixtures): skipped")
        return 77
    pipelines = args.passes.split(",") if args.passes else lossless_passes(binary)
    if not args.no_o1:
        pipelines.append("-O1")
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            ref_sess = session(model)
            reference = {"session": ref_sess, "runs": {}}
            for batch in BATCHES:
                feeds = make_inputs(ref_sess, batch, np.random.default_rng(batch))
                reference["runs"][batch] = (feeds, ref_sess.run(None, feeds))
            name = os.path.basename(model)
            for pipeline in pipelines:
                problem = check(binary, model, pipeline, reference, tmp)
                if problem:
                    failed += 1
                    print(f"FAIL {name} {pipeline}: {problem}")
                else:
                    passed += 1
                    if pipeline == "-O1":
                        before, after = node_count(model), node_count(os.path.join(tmp, "out.onnx"))
                        print(f"ok   {name} -O1: {before} -> {after} nodes")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
