#!/usr/bin/env python3
"""The executor on the fixture model zoo against onnxruntime, at batch 1 and batch 4.

For each zoo model: random inputs (seeded) at the given batch, `onnx-lite run` writes .npy outputs,
onnxruntime computes the same, and the max relative error over all outputs must be <= 1e-4
(relative to the largest magnitude of the reference output, so near-zero elements do not dominate).
Exits 77 (skipped) when the zoo has not been generated; prints 'N passed, M failed'.

usage: zoo_vs_onnxruntime.py ONNX_LITE [--batches 1,4] [MODEL ...]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NP_TYPES = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32,
            "tensor(double)": np.float64, "tensor(bool)": np.bool_}
TOLERANCE = 1e-4


def make_inputs(sess, batch, rng):
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else (batch if k == 0 else 8) for k, d in enumerate(i.shape)]
        t = NP_TYPES[i.type]
        if np.issubdtype(t, np.floating):
            feeds[i.name] = rng.uniform(-1, 1, shape).astype(t)
        elif "mask" in i.name:
            feeds[i.name] = np.ones(shape, dtype=t)
        else:
            feeds[i.name] = rng.integers(0, 100, shape).astype(t)
    return feeds


def check(binary, model, batch):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    feeds = make_inputs(sess, batch, np.random.default_rng(batch))
    expected = sess.run(None, feeds)
    with tempfile.TemporaryDirectory() as tmp:
        args = [binary, "run", model, "--output-dir", os.path.join(tmp, "out")]
        for name, value in feeds.items():
            path = os.path.join(tmp, f"in{len(args)}.npy")
            np.save(path, value)
            args += ["--input", f"{name}={path}"]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            return f"onnx-lite run failed: {r.stderr.strip()}"
        worst = 0.0
        for out, ref in zip(sess.get_outputs(), expected):
            got = np.load(os.path.join(tmp, "out", out.name.replace("/", "_") + ".npy"))
            if got.shape != ref.shape:
                return f"output '{out.name}' has shape {got.shape}, expected {ref.shape}"
            scale = max(float(np.max(np.abs(ref))), 1e-30)
            worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - ref))) / scale)
        if worst > TOLERANCE:
            return f"max relative error {worst:.3g} > {TOLERANCE}"
        return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("models", nargs="*")
    ap.add_argument("--batches", default="1,4")
    args = ap.parse_args()
    models = args.models or sorted(glob.glob(os.path.join(REPO, "tests", "fixtures", "zoo", "*.onnx")))
    if not models:
        print("fixture zoo not generated (scripts/export-fixtures): skipped")
        return 77
    passed = failed = 0
    for model in models:
        for batch in [int(b) for b in args.batches.split(",")]:
            result = check(os.path.abspath(args.binary), model, batch)
            name = f"{os.path.basename(model)} batch {batch}"
            if isinstance(result, str):
                failed += 1
                print(f"FAIL {name}: {result}")
            else:
                passed += 1
                print(f"ok   {name}: max relative error {result:.2g}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
