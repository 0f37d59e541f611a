#!/usr/bin/env python3
"""Round trip through onnx-lite's reader and writer, for every conformance model and fixture.

For each model IN:
  1. `onnx-lite convert IN -o A` then `onnx-lite convert A -o B`: A and B must be byte-identical
     (read, write, read again gives the same IR; the writer is deterministic).
  2. onnx.checker.check_model accepts A wherever it accepts IN.
  3. Where onnxruntime can run IN on its test data sets, it gives bit-identical outputs for A.
The input file is checked to be unchanged (same sha256) afterwards.

usage: roundtrip.py ONNX_LITE_BINARY [--suite DIR] [--fixtures DIR] [--jobs N] [--no-ort]
Prints one line per failure and a final tally 'N passed, M failed'.
"""
import argparse
import glob
import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_paths import find_node_suite  # noqa: E402


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def checker_ok(path):
    try:
        onnx.checker.check_model(path, full_check=False)
        return True, ""
    except Exception as e:  # the checker raises several exception types
        return False, str(e).splitlines()[0] if str(e) else type(e).__name__


def load_data_sets(model_path, model):
    # Conformance cases keep data sets beside model.onnx; fixtures in a folder named after the model.
    here = os.path.dirname(model_path)
    stem = os.path.join(here, os.path.splitext(os.path.basename(model_path))[0])
    sets = []
    for d in sorted(glob.glob(os.path.join(here, "test_data_set_*")) +
                    glob.glob(os.path.join(stem, "test_data_set_*"))):
        inputs = {}
        for i, vi in enumerate(model.graph.input):
            p = os.path.join(d, f"input_{i}.pb")
            if not os.path.exists(p):
                break
            t = onnx.TensorProto()
            with open(p, "rb") as f:
                t.ParseFromString(f.read())
            inputs[vi.name] = numpy_helper.to_array(t)
        sets.append(inputs)
    return sets


def ort_outputs(path, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 4
    so.intra_op_num_threads = 1
    # Disable graph optimizations: we compare the models, not ORT's rewrites of them.
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def same_bits(a, b):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype == object or b.dtype == object:  # strings: tobytes() would compare pointers
            return a.dtype == b.dtype and a.shape == b.shape and a.tolist() == b.tolist()
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b))
    return repr(a) == repr(b)


def check_one(args):
    binary, model_path, use_ort = args
    name = os.path.relpath(model_path)
    before = sha256(model_path)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a.onnx"), os.path.join(tmp, "b.onnx")
        r = subprocess.run([binary, "convert", model_path, "-o", a], capture_output=True, text=True)
        if r.returncode != 0:
            return name, f"convert failed: {r.stderr.strip()}", None
        r = subprocess.run([binary, "convert", a, "-o", b], capture_output=True, text=True)
        if r.returncode != 0:
            return name, f"second convert failed: {r.stderr.strip()}", None
        if sha256(a) != sha256(b):
            return name, "second round trip differs from the first (IR not stable)", None
        if sha256(model_path) != before:
            return name, "input file was modified", None
        ok_in, _ = checker_ok(model_path)
        ok_out, why = checker_ok(a)
        if ok_in and not ok_out:
            return name, f"checker accepts the input but rejects the output: {why}", None
        ort_ran = None
        if use_ort:
            try:
                model = onnx.load(model_path)
                data_sets = load_data_sets(model_path, model)
                if not data_sets:
                    data_sets = []
                ort_ran = False
                for feeds in data_sets:
                    expected = ort_outputs(model_path, feeds)
                    ort_ran = True
                    got = ort_outputs(a, feeds)
                    if not same_bits(expected, got):
                        return name, "onnxruntime outputs differ between input and output model", ort_ran
            except Exception as e:  # onnxruntime cannot run this model at all
                if ort_ran:
                    return name, f"onnxruntime runs the input but fails on the output: {e}", ort_ran
                ort_ran = None
    return name, None, ort_ran


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--suite", default=None)
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(__file__), "..", "fixtures"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="only the first N conformance models")
    args = ap.parse_args()

    suite = args.suite or find_node_suite()
    models = sorted(glob.glob(os.path.join(suite, "*", "model.onnx")))
    if args.limit:
        models = models[: args.limit]
    fixtures = sorted(glob.glob(os.path.join(args.fixtures, "*.onnx")) +
                      glob.glob(os.path.join(args.fixtures, "zoo", "*.onnx")))
    models += fixtures
    binary = os.path.abspath(args.binary)
    passed = failed = ort_compared = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for name, problem, ort_ran in pool.map(check_one, [(binary, m, not args.no_ort) for m in models],
                                               chunksize=8):
            if problem:
                failed += 1
                print(f"FAIL {name}: {problem}")
            else:
                passed += 1
                ort_compared += bool(ort_ran)
    print(f"round trip: {len(models)} models ({len(fixtures)} fixtures), onnxruntime compared on "
          f"{ort_compared}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
