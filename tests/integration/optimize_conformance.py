#!/usr/bin/env python3
"""The default pipeline (-O1) on every model of the ONNX node conformance suite, checked in
onnx-lite's executor and in onnxruntime against the suite's expected outputs.

For each case SUITE/NAME/model.onnx:
  1. `onnx-lite optimize model.onnx -o OUT/NAME/model.onnx` must succeed. A model that `onnx-lite
     convert` cannot read either is skipped (counted); any other failure is an optimizer error.
  2. onnxruntime (graph optimizations off) runs the optimized model on each test_data_set_N and must
     match the expected outputs (rtol 1e-3, atol 1e-7, the conformance tolerances). Where the
     original model does not match them in onnxruntime either, the optimized model must match the
     original's onnxruntime outputs instead. Cases onnxruntime cannot run in their original form
     are skipped (counted).
  3. The executor runs the optimized copy of the suite (OUT, whose cases link the original data
     sets) through the conformance runner in one go. A case failing there must also fail on the
     original suite, or it is a failure of the optimizer; cases the executor refuses as unsupported
     in their original form are skipped (counted).
Prints the failures and a tally; exits 1 on any failure.

usage: optimize_conformance.py ONNX_LITE NODE_CONFORMANCE [--suite DIR] [--filter SUBSTRING] [--jobs N]
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_paths import find_node_suite  # noqa: E402

RTOL, ATOL = 1e-3, 1e-7


def read_value(path, type_proto):
    """A data set file as onnxruntime takes it: array, list (sequence), dict (map) or None/value."""
    with open(path, "rb") as f:
        data = f.read()
    kind = type_proto.WhichOneof("value")
    if kind == "sequence_type":
        proto = onnx.SequenceProto()
        proto.ParseFromString(data)
        return numpy_helper.to_list(proto)
    if kind == "map_type":
        proto = onnx.MapProto()
        proto.ParseFromString(data)
        return numpy_helper.to_dict(proto)
    if kind == "optional_type":
        proto = onnx.OptionalProto()
        proto.ParseFromString(data)
        return numpy_helper.to_optional(proto)
    proto = onnx.TensorProto()
    proto.ParseFromString(data)
    return numpy_helper.to_array(proto)


def data_sets(case_dir, model):
    """(feeds, expected outputs) per test_data_set_N; inputs bind the non-initializer inputs in order."""
    inits = {t.name for t in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in inits]
    sets = []
    for d in sorted(glob.glob(os.path.join(case_dir, "test_data_set_*"))):
        feeds = {}
        for i, vi in enumerate(inputs):
            p = os.path.join(d, f"input_{i}.pb")
            if os.path.exists(p):
                feeds[vi.name] = read_value(p, vi.type)
        expected = [read_value(os.path.join(d, f"output_{i}.pb"), vo.type)
                    for i, vo in enumerate(model.graph.output)]
        sets.append((feeds, expected))
    return sets


def mismatch(expected, got, path="output"):
    """None when `got` matches `expected` within the conformance tolerances, else where it does not."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return f"{path}: sequence of {len(expected)} expected"
        for k, (e, g) in enumerate(zip(expected, got)):
            why = mismatch(e, g, f"{path}[{k}]")
            if why:
                return why
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or sorted(got) != sorted(expected):
            return f"{path}: map keys differ"
        return next((w for k in expected if (w := mismatch(expected[k], got[k], f"{path}[{k}]"))), None)
    if expected is None or got is None:
        return None if expected is None and got is None else f"{path}: optional presence differs"
    e, g = np.asarray(expected), np.asarray(got)
    if e.shape != g.shape:
        return f"{path}: shape {g.shape}, expected {e.shape}"
    if e.dtype == object or g.dtype == object or e.dtype.kind in "SU":
        return None if e.tolist() == g.tolist() else f"{path}: values differ"
    if not (np.issubdtype(e.dtype, np.number) or e.dtype == np.bool_) or e.dtype != g.dtype:
        # float8/int4 (ml_dtypes) or two spellings of one type: compare the values as float64
        e, g = e.astype(np.float64), g.astype(np.float64)
    try:
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True)
    except AssertionError as ex:
        lines = [ln.strip() for ln in str(ex).splitlines() if ln.strip()]
        return f"{path}: " + "; ".join(lines[1:4])[:300]
    return None


def ort_run(path, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 4
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def check_ort(original, optimized, model):
    """('pass' | 'skip' | 'fail', why) for onnxruntime on the optimized model."""
    try:
        sets = data_sets(os.path.dirname(original), model)
        reference = [ort_run(original, feeds) for feeds, _ in sets]
    except Exception as e:   # onnxruntime (or the data loader) cannot handle the original
        return "skip", f"{type(e).__name__}"
    if not sets:
        return "skip", "no data sets"
    for k, ((feeds, expected), ref) in enumerate(zip(sets, reference)):
        try:
            got = ort_run(optimized, feeds)
        except Exception as e:   # onnxruntime's own exception types
            return "fail", f"onnxruntime runs the original but not the optimized model: {str(e)[:300]}"
        why = mismatch(expected, got)
        if why and mismatch(expected, ref) is not None:
            why = mismatch(ref, got)   # onnxruntime misses the expected outputs on the original too
            if why:
                return "fail", f"data set {k}: differs from onnxruntime on the original: {why}"
        elif why:
            return "fail", f"data set {k}: {why}"
    return "pass", None


def check_case(args):
    """(name, optimizer outcome, ort outcome, detail) for one case."""
    try:
        return optimize_and_check(*args)
    except Exception as e:   # a bug of this script on one case must not hide the others
        return args[3], "optimized", "fail", f"checking it raised {type(e).__name__}: {e}"


def optimize_and_check(binary, suite, out_root, name):
    original = os.path.join(suite, name, "model.onnx")
    case_out = os.path.join(out_root, name)
    os.makedirs(case_out)
    optimized = os.path.join(case_out, "model.onnx")
    r = subprocess.run([binary, "optimize", original, "-o", optimized], capture_output=True, text=True)
    if r.returncode != 0:
        read = subprocess.run([binary, "convert", original, "-o", os.path.join(case_out, "read.onnx")],
                              capture_output=True, text=True)
        if read.returncode != 0:
            return name, "unreadable", None, read.stderr.strip().splitlines()[-1:]
        return name, "error", None, r.stderr.strip()[-400:]
    for d in glob.glob(os.path.join(suite, name, "test_data_set_*")):
        os.symlink(os.path.abspath(d), os.path.join(case_out, os.path.basename(d)))
    outcome, why = check_ort(original, optimized, onnx.load(original))
    return name, "optimized", outcome, why


def conformance(runner, suite, only):
    """{case: 'FAIL' | 'UNSUPPORTED'} from one conformance run over `suite` (cases whose name
    contains `only`); passes are absent."""
    r = subprocess.run([runner, suite] + (["--filter", only] if only else []), capture_output=True, text=True)
    if not re.search(r"^\d+ passed, \d+ failed, \d+ unsupported$", r.stdout, re.M):
        raise SystemExit(f"conformance runner failed on {suite}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    result = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(FAIL|UNSUPPORTED) ([^:\s]+)", line)
        if m:
            result[m.group(2)] = m.group(1)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("runner", help="tests/conformance/node_conformance")
    ap.add_argument("--suite")
    ap.add_argument("--filter", default="", help="only cases whose name contains this")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    suite = os.path.abspath(args.suite or find_node_suite())
    names = sorted(n for n in os.listdir(suite)
                   if args.filter in n and os.path.exists(os.path.join(suite, n, "model.onnx")))
    if not names:
        raise SystemExit(f"no conformance cases in {suite}" + (f" matching '{args.filter}'" if args.filter else ""))
    binary, runner = os.path.abspath(args.binary), os.path.abspath(args.runner)
    failures = {}   # name -> what is wrong
    tally = {"unreadable": 0, "error": 0, "optimized": 0, "pass": 0, "skip": 0, "fail": 0}
    ran = []        # optimized cases, for the executor
    with tempfile.TemporaryDirectory() as out_root:
        with ProcessPoolExecutor(args.jobs) as pool:
            for name, opt, ort_outcome, why in pool.map(
                    check_case, [(binary, suite, out_root, n) for n in names], chunksize=16):
                tally[opt] += 1
                if opt == "error":
                    failures[name] = f"optimize failed: {why}"
                    continue
                if opt == "unreadable":
                    shutil.rmtree(os.path.join(out_root, name))
                    continue
                ran.append(name)
                tally[ort_outcome] += 1
                if ort_outcome == "fail":
                    failures[name] = f"onnxruntime: {why}"
        for name in failures:
            shutil.rmtree(os.path.join(out_root, name), ignore_errors=True)
        # The executor on the optimized copies and on the originals: one runner process each.
        optimized = conformance(runner, out_root, args.filter)
        original = conformance(runner, suite, args.filter)
    exec_passed = exec_skipped = exec_failed = 0
    for name in ran:
        if name in failures:
            continue
        before, after = original.get(name), optimized.get(name)
        if after is None:
            exec_passed += 1
        elif before == "UNSUPPORTED" or before == after == "FAIL":
            exec_skipped += 1   # refused, or failing (known_failures.txt), in its original form too
        else:
            exec_failed += 1
            failures[name] = (f"executor: {after.lower()} on the optimized model, "
                              f"{(before or 'pass').lower()} on the original")
    for name in sorted(failures):
        print(f"FAIL {name}: {failures[name]}")
    print(f"optimize -O1: {len(names)} conformance models; {tally['optimized']} optimized, "
          f"{tally['error']} optimizer errors, {tally['unreadable']} skipped (onnx-lite cannot read them)")
    print(f"executor: {exec_passed} passed, {exec_skipped} skipped (unsupported, or failing in the "
          f"original too), {exec_failed} failed")
    print(f"onnxruntime: {tally['pass']} passed, {tally['skip']} skipped (onnxruntime cannot run the "
          f"original), {tally['fail']} failed")
    print(f"{len(names) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
