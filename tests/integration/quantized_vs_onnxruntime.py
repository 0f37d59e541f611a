#!/usr/bin/env python3
"""onnx-lite's executor against onnxruntime on quantized and float16 models.

Static (QDQ): onnxruntime's own quantize_static (per-channel int8 weights, uint8 activations,
MinMax over a few seeded random batches) quantizes small_cnn, resnet18-op13 and mobilenet_v2-op13.
On the same quantized model and inputs:
  - `onnx-lite run` (which lowers the QDQ groups to integer kernels) must match onnxruntime
    (default graph optimizations, which fuse the same groups into its integer kernels) within one
    quantization step of each output: max |ours - ort| / scale <= 1, the scale being that of the
    DequantizeLinear that produces the output;
  - `onnx-lite optimize -p qdq-to-qoperator` must give a model onnx.checker accepts, with
    QLinearConv/QLinearMatMul/...Integer and no vendor ops, that onnxruntime and onnx-lite both run
    within one step of onnxruntime on the QDQ model;
  - `onnx-lite run --no-qdq-lowering` (the float QDQ path) is reported, and on small_cnn (two
    layers) must be within one step too; in the deep random-weight zoo models a rounding flip in
    an early float layer grows through the network, so there it is reported only.
onnx-lite's own static quantization: `-p quantize` (QDQ) and `-p 'quantize{format=qoperator}'` on
small_cnn, the Fashion-MNIST teacher, resnet18-op13 and mobilenet_v2-op13, calibrated on the same
seeded random batches (as .npy files): onnx.checker accepts both; `onnx-lite bench --profile` shows
the executor running integer kernels (QLinearConv/QLinearMatMul/...Integer) and no float Conv;
`onnx-lite run` on each matches onnxruntime on the same model within one quantization step. An
output that comes out of a DequantizeLinear has that DequantizeLinear's scale as its step; the
pass leaves the last layer's output float (onnxruntime's QGemm/QLinearConv with a float output),
and there the step is what one step of every input of that layer moves an output by at most:
input scale x the largest sum of |weight| over an output's inputs.
Dynamic: `quantize-dynamic` on bert_encoder: onnx.checker, onnxruntime runs it, file at most 0.3x,
the error against the float model in onnxruntime reported; the output is float, so the measure
is the quantization error itself: onnx-lite and onnxruntime on the quantized model may differ by
at most onnxruntime's own error against the float model.
float16: `float16` on resnet18-op13, mobilenet_v2-op13 and bert_encoder: onnx.checker, file at
most 0.51x, onnxruntime and onnx-lite both within 3% (of the output's largest magnitude) of the
float model, and of each other.

Exits 77 (skipped) when the fixture zoo has not been generated; prints each figure.

usage: quantized_vs_onnxruntime.py ONNX_LITE [--keep DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZOO = os.path.join(REPO, "tests", "fixtures", "zoo")
STATIC = [os.path.join(REPO, "tests", "fixtures", "small_cnn.onnx"),
          os.path.join(ZOO, "resnet18-op13.onnx"), os.path.join(ZOO, "mobilenet_v2-op13.onnx")]
OURS = [os.path.join(REPO, "tests", "fixtures", "small_cnn.onnx"),
        os.path.join(REPO, "tests", "fixtures", "fashion_mnist_teacher.onnx"),
        os.path.join(ZOO, "resnet18-op13.onnx"), os.path.join(ZOO, "mobilenet_v2-op13.onnx")]
BERT = os.path.join(ZOO, "bert_encoder.onnx")
FLOAT16 = [os.path.join(ZOO, "resnet18-op13.onnx"), os.path.join(ZOO, "mobilenet_v2-op13.onnx"), BERT]
FLOAT16_TOLERANCE = 0.03
INTEGER_OPS = {"QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger"}


def input_shape(vi, batch):
    return [d.dim_value if d.dim_value > 0 else (batch if k == 0 else 16)
            for k, d in enumerate(vi.type.tensor_type.shape.dim)]


def make_inputs(model, batch, seed):
    rng = np.random.default_rng(seed)
    initializers = {t.name for t in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in initializers:
            continue
        shape = input_shape(vi, batch)
        if vi.type.tensor_type.elem_type == onnx.TensorProto.INT64:
            feeds[vi.name] = (np.ones(shape, np.int64) if "mask" in vi.name
                              else rng.integers(1, 8000, shape).astype(np.int64))
        else:
            feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


class RandomReader(CalibrationDataReader):
    """A few seeded random batches: enough to give every tensor a range."""

    def __init__(self, model, samples=4):
        self.batches = [make_inputs(model, 1, 100 + i) for i in range(samples)]

    def get_next(self):
        return self.batches.pop() if self.batches else None


def ort_run(path, feeds):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return [o.name for o in sess.get_outputs()], sess.run(None, feeds)


def ours_run(binary, path, feeds, names, tmp, extra=()):
    out = tempfile.mkdtemp(dir=tmp)
    args = [binary, "run", path, "--output-dir", out, *extra]
    for name, value in feeds.items():
        p = os.path.join(out, f"in_{len(args)}.npy")
        np.save(p, value)
        args += ["--input", f"{name}={p}"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"onnx-lite run {os.path.basename(path)} failed: {r.stderr.strip()}")
    return [np.load(os.path.join(out, n.replace("/", "_") + ".npy")) for n in names]


def optimize(binary, src, dst, pipeline):
    r = subprocess.run([binary, "optimize", src, "-o", dst, "-p", pipeline], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"onnx-lite optimize -p {pipeline} {os.path.basename(src)} failed: {r.stderr.strip()}")


def largest(outputs):
    """The largest magnitude over a list of output arrays."""
    return max(float(np.max(np.abs(o))) for o in outputs)


def max_diff(xs, ys):
    """The largest absolute difference between two lists of output arrays, pairwise."""
    return max(float(np.max(np.abs(x - y))) for x, y in zip(xs, ys))


def steps(a, b, scale):
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) / scale


def check_static(binary, src, tmp, failures):
    name = os.path.splitext(os.path.basename(src))[0]
    float_model = onnx.load(src)
    qdq = os.path.join(tmp, name + ".qdq.onnx")
    quantize_static(src, qdq, RandomReader(float_model), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    qop = os.path.join(tmp, name + ".qop.onnx")
    optimize(binary, qdq, qop, "qdq-to-qoperator")
    lowered = onnx.load(qop)
    onnx.checker.check_model(lowered, full_check=True)
    ops = {n.op_type for n in lowered.graph.node}
    domains = {n.domain for n in lowered.graph.node} - {"", "ai.onnx"}
    if not ops & INTEGER_OPS or domains:
        failures.append(f"{name}: lowered model has integer ops {sorted(ops & INTEGER_OPS)}, domains {domains}")
    scales = output_steps(onnx.load(qdq))
    batches = (1, 2) if "small_cnn" in name else (1,)
    for batch in batches:
        feeds = make_inputs(float_model, batch, batch)
        names, ref = ort_run(qdq, feeds)
        results = {
            "onnx-lite (integer kernels)": ours_run(binary, qdq, feeds, names, tmp),
            "onnx-lite on qdq-to-qoperator": ours_run(binary, qop, feeds, names, tmp),
            "onnxruntime on qdq-to-qoperator": ort_run(qop, feeds)[1],
            "onnx-lite float QDQ path": ours_run(binary, qdq, feeds, names, tmp, ["--no-qdq-lowering"]),
        }
        for what, got in results.items():
            worst = max(steps(g, r, scales[n]) for n, g, r in zip(names, got, ref))
            strict = what != "onnx-lite float QDQ path" or "small_cnn" in name
            verdict = "ok  " if worst <= 1 + 1e-6 else ("FAIL" if strict else "note")
            print(f"{verdict} {name} batch {batch}: {what} vs onnxruntime on the QDQ model: "
                  f"{worst:.2f} steps")
            if verdict == "FAIL":
                failures.append(f"{name} batch {batch}: {what} differs by {worst:.2f} quantization steps")
    print(f"     {name}: QDQ {os.path.getsize(qdq) / os.path.getsize(src):.3f}x, "
          f"QOperator {os.path.getsize(qop) / os.path.getsize(src):.3f}x of the float file")


def dequantized(consts, dq):
    """The float values of a DequantizeLinear of constants."""
    q = consts[dq.input[0]].astype(np.float64)
    scale = consts[dq.input[1]].astype(np.float64)
    zp = consts[dq.input[2]].astype(np.float64) if len(dq.input) > 2 and dq.input[2] else np.zeros_like(scale)
    axis = next((a.i for a in dq.attribute if a.name == "axis"), 1)
    if scale.ndim == 1 and scale.size > 1:
        shape = [1] * q.ndim
        shape[axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (q - zp) * scale


def output_steps(model):
    """One quantization step of each graph output (see the docstring)."""
    consts = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    steps_ = {}
    for vi in model.graph.output:
        n = producer.get(vi.name)
        if n is not None and n.op_type == "DequantizeLinear" and n.input[1] in consts:
            steps_[vi.name] = float(np.max(consts[n.input[1]]))
            continue
        if n is None or n.op_type not in ("Gemm", "MatMul", "Conv"):
            raise RuntimeError(f"output {vi.name} is neither dequantized nor a quantized layer's float output")
        x_dq, w_dq = producer.get(n.input[0]), producer.get(n.input[1])
        if not (x_dq and w_dq and x_dq.op_type == w_dq.op_type == "DequantizeLinear"):
            raise RuntimeError(f"output {vi.name}: {n.op_type} '{n.name}' does not read quantized values")
        w = np.abs(dequantized(consts, w_dq))
        attrs = {a.name: a.i for a in n.attribute}
        if n.op_type == "Conv" or (n.op_type == "Gemm" and attrs.get("transB", 0)):
            per_output = w.reshape(w.shape[0], -1).sum(axis=1)
        else:
            per_output = w.sum(axis=0)
        steps_[vi.name] = float(np.max(consts[x_dq.input[1]])) * float(np.max(per_output))
    return steps_


def check_ours(binary, src, tmp, failures):
    """onnx-lite's own QDQ and QOperator outputs, run by onnx-lite and by onnxruntime."""
    name = os.path.splitext(os.path.basename(src))[0]
    float_model = onnx.load(src)
    data = os.path.join(tmp, name + ".calibration")
    os.makedirs(data, exist_ok=True)
    for i in range(4):
        np.save(os.path.join(data, f"sample_{i}.npy"), next(iter(make_inputs(float_model, 1, 100 + i).values())))
    qdq = os.path.join(tmp, name + ".ours.qdq.onnx")
    qop = os.path.join(tmp, name + ".ours.qop.onnx")
    for dst, pipeline in ((qdq, "quantize"), (qop, "quantize{format=qoperator}")):
        r = subprocess.run([binary, "optimize", src, "-o", dst, "-p", pipeline, "--data", data],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"{name}: onnx-lite optimize -p {pipeline} failed: {r.stderr.strip()[-300:]}")
            return
        onnx.checker.check_model(onnx.load(dst), full_check=True)
        r = subprocess.run([binary, "bench", dst, "--runs", "1", "--warmup", "0", "--profile"],
                           capture_output=True, text=True)
        kernels = {line.split()[0] for line in r.stdout.splitlines() if line.split()}
        if r.returncode != 0 or not kernels & INTEGER_OPS or "Conv" in kernels or any(k.startswith("Conv+") for k in kernels):
            failures.append(f"{name} {pipeline}: onnx-lite's executor did not run it on integer kernels "
                            f"(profile: {sorted(kernels & (INTEGER_OPS | {'Conv'}))}; exit {r.returncode})")
    tolerance = output_steps(onnx.load(qdq))
    feeds = make_inputs(float_model, 1, 1)
    for what, path in (("QDQ", qdq), ("QOperator", qop)):
        names, ref = ort_run(path, feeds)
        got = ours_run(binary, path, feeds, names, tmp)
        worst = max(steps(g, r, tolerance[n]) for n, g, r in zip(names, got, ref))
        magnitude = largest(ref)
        verdict = "ok  " if worst <= 1 + 1e-6 else "FAIL"
        print(f"{verdict} {name}: onnx-lite's {what} model, onnx-lite vs onnxruntime: {worst:.3f} steps "
              f"(step {min(tolerance.values()):.3g}, output magnitude up to {magnitude:.3g})")
        if verdict == "FAIL":
            failures.append(f"{name}: onnx-lite's {what} model differs by {worst:.2f} quantization steps")


def check_dynamic(binary, tmp, failures):
    dyn = os.path.join(tmp, "bert_encoder.dynamic.onnx")
    optimize(binary, BERT, dyn, "quantize-dynamic")
    onnx.checker.check_model(onnx.load(dyn), full_check=True)
    ratio = os.path.getsize(dyn) / os.path.getsize(BERT)
    feeds = make_inputs(onnx.load(BERT), 2, 7)
    names, reference = ort_run(BERT, feeds)
    _, ort_q = ort_run(dyn, feeds)
    ours_q = ours_run(binary, dyn, feeds, names, tmp)
    magnitude = largest(reference)
    quant_error = max_diff(ort_q, reference)
    runtime_diff = max_diff(ours_q, ort_q)
    ours_error = max_diff(ours_q, reference)
    ok = ratio <= 0.3 and runtime_diff <= quant_error
    print(f"{'ok  ' if ok else 'FAIL'} bert_encoder quantize-dynamic: file {ratio:.3f}x; max abs error vs float "
          f"{quant_error:.4g} in onnxruntime, {ours_error:.4g} in onnx-lite (relative {quant_error / magnitude:.3g}, "
          f"{ours_error / magnitude:.3g}); onnx-lite vs onnxruntime {runtime_diff:.4g}")
    if not ok:
        failures.append(f"bert_encoder quantize-dynamic: file {ratio:.3f}x, runtimes differ by {runtime_diff:.4g} "
                        f"(quantization error {quant_error:.4g})")


def check_float16(binary, src, tmp, failures):
    name = os.path.splitext(os.path.basename(src))[0]
    half = os.path.join(tmp, name + ".float16.onnx")
    optimize(binary, src, half, "float16")
    onnx.checker.check_model(onnx.load(half), full_check=True)
    ratio = os.path.getsize(half) / os.path.getsize(src)
    feeds = make_inputs(onnx.load(src), 1, 3)
    names, reference = ort_run(src, feeds)
    _, ort_h = ort_run(half, feeds)
    ours_h = ours_run(binary, half, feeds, names, tmp)
    magnitude = largest(reference)
    ort_err = max_diff(ort_h, reference) / magnitude
    ours_err = max_diff(ours_h, reference) / magnitude
    between = max_diff(ours_h, ort_h) / magnitude
    ok = ratio <= 0.51 and max(ort_err, ours_err, between) <= FLOAT16_TOLERANCE
    print(f"{'ok  ' if ok else 'FAIL'} {name} float16: file {ratio:.3f}x; max error relative to the float output's "
          f"largest magnitude: onnxruntime {ort_err:.3g}, onnx-lite {ours_err:.3g}, between them {between:.3g}")
    if not ok:
        failures.append(f"{name} float16: file {ratio:.3f}x, errors {ort_err:.3g} / {ours_err:.3g} / {between:.3g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--keep", help="write the models here instead of a temporary folder")
    args = ap.parse_args()
    if not all(os.path.exists(p) for p in STATIC + OURS + FLOAT16):
        print("fixture zoo not generated (scripts/export-fixtures): skipped")
        return 77
    binary = os.path.abspath(args.binary)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = args.keep or tmp
        os.makedirs(tmp, exist_ok=True)
        for src in STATIC:
            check_static(binary, src, tmp, failures)
        for src in OURS:
            check_ours(binary, src, tmp, failures)
        check_dynamic(binary, tmp, failures)
        for src in FLOAT16:
            check_float16(binary, src, tmp, failures)
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
