#!/usr/bin/env python3
"""`onnx-lite optimize` with the quantize pass from the command line, on tests/fixtures/small_cnn.onnx
with calibration data written here as .npy files (no data set package needed).

Checks: the data set flags' usage errors (exit 2) and a quantize run without --data (exit 1), each
with its message and no output file; a sample shape that does not fit the model is named; a run
with --verify on real inputs (--data) and --report: the verification reads the data set, the report
has the notes, the sizes (gzip too) and the data path, and the canonical pipeline it records gives
the same bytes again; --calibration-samples bounds the samples read; format=qoperator gives
QLinearConv that onnxruntime runs; the progress bar is drawn on a terminal and only there.
float16 with --data on a model built here (x -> Mul 1000 -> Mul 1000 -> y): the Mul whose output
reaches 1e6 on the samples stays float32 (noted) and onnx-lite and onnxruntime compute y finite;
without --data the note says activations were not checked and onnx-lite's float16 Mul gives
infinities (onnxruntime's CPU provider, lacking a float16 Mul, runs it in float32 behind Casts).

usage: quantize_cli.py ONNX_LITE
Prints one line per check and 'N passed, M failed'.
"""
import json
import os
import pty
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(REPO, "tests", "fixtures", "small_cnn.onnx")



def optimize(binary, out, *args):
    return subprocess.run([binary, "optimize", MODEL, "-o", out, *args], capture_output=True, text=True)


def refused(binary, tmp, name, code, expected, *args):
    out = os.path.join(tmp, name + ".onnx")
    r = optimize(binary, out, *args)
    check(r.returncode == code and expected in r.stderr and not os.path.exists(out),
          f"{name}: exit {code}, '{expected}', no output", f"exit {r.returncode}, stderr {r.stderr.strip()!r}")


def float16_with_data(binary, tmp):
    from onnx import TensorProto, helper

    src = os.path.join(tmp, "scales.onnx")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "k1"], ["a"], name="mul1"), helper.make_node("Mul", ["a", "k2"], ["y"], name="mul2")],
        "scales", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor("k1", TensorProto.FLOAT, [1], [1000.0]),
         helper.make_tensor("k2", TensorProto.FLOAT, [1], [1000.0])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), src)
    data = os.path.join(tmp, "scales-data")
    os.mkdir(data)
    x = np.random.default_rng(1).uniform(-1, 1, (8, 4)).astype(np.float32)
    x[0, 0] = 1
    np.save(os.path.join(data, "x.npy"), x)

    def ours(model):
        out = os.path.join(tmp, "y-" + os.path.basename(model))
        r = subprocess.run([binary, "run", model, "--input", f"x={os.path.join(data, 'x.npy')}", "--output-dir", out],
                           capture_output=True, text=True)
        return np.load(os.path.join(out, "y.npy")) if r.returncode == 0 else None

    checked, plain = os.path.join(tmp, "scales-checked.onnx"), os.path.join(tmp, "scales-plain.onnx")
    r = subprocess.run([binary, "optimize", src, "-o", checked, "-p", "float16", "--data", data], capture_output=True,
                       text=True)
    check(r.returncode == 0 and "1 nodes kept in float32" in r.stdout and "'mul2'" in r.stdout,
          "float16 --data: the overflowing Mul is kept in float32 and noted", r.stderr.strip() + r.stdout[-400:])
    y = ours(checked) if r.returncode == 0 else None
    check(y is not None and np.allclose(y, x * 1e6, rtol=2e-3), "float16 --data: onnx-lite computes y finite",
          repr(y))
    try:
        import onnxruntime as ort

        y = ort.InferenceSession(checked, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        check(np.allclose(y, x * 1e6, rtol=2e-3), "float16 --data: onnxruntime computes y finite", repr(y))
    except Exception as e:  # noqa: BLE001 - any failure to load or run is what is reported
        check(False, "float16 --data: onnxruntime computes y finite", str(e))
    r = subprocess.run([binary, "optimize", src, "-o", plain, "-p", "float16"], capture_output=True, text=True)
    check(r.returncode == 0 and "activations were not range-checked" in r.stdout,
          "float16 without --data: the note says activations were not checked", r.stderr.strip() + r.stdout[-400:])
    y = ours(plain) if r.returncode == 0 else None
    check(y is not None and np.isinf(y[0, 0]), "float16 without --data: onnx-lite's float16 Mul overflows", repr(y))


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        for i in range(4):   # 4 files of 8 samples [8, 1, 28, 28] in [0, 1)
            np.save(os.path.join(data, f"batch{i}.npy"), rng.random((8, 1, 28, 28), dtype=np.float32))
        wrong = os.path.join(tmp, "wrong")
        os.mkdir(wrong)
        np.save(os.path.join(wrong, "x.npy"), rng.random((2, 3, 28, 28), dtype=np.float32))

        refused(binary, tmp, "no-data", 1, "give them with --data", "-p", "quantize")
        refused(binary, tmp, "labels-without-data", 2, "give --data too", "-p", "quantize", "--labels", "l.npy")
        refused(binary, tmp, "bad-sample-count", 2, "--calibration-samples needs a count",
                "-p", "quantize", "--data", data, "--calibration-samples", "many")
        refused(binary, tmp, "sample-shape", 1, "x.npy", "-p", "quantize", "--data", wrong)

        out = os.path.join(tmp, "q.onnx")
        report_path = os.path.join(tmp, "q.json")
        r = optimize(binary, out, "-p", "fuse-bn,quantize{method=entropy}", "--data", data, "--verify",
                     "--tolerance", "0.05", "--verify-samples", "2", "--verify-batch", "4", "--report",
                     report_path)
        check(r.returncode == 0, "quantize with --verify on --data", r.stderr.strip())
        check(f"verify: 2 input set(s) from {data}, batch 4" in r.stdout, "verification reads the data set",
              r.stdout)
        check("\r" not in r.stderr, "no progress bar when stderr is not a terminal", repr(r.stderr[:200]))
        report = json.load(open(report_path))
        check(report["verification"]["data"] == data and report["verification"]["samples"] == 2,
              "report: verification data and samples", json.dumps(report["verification"])[:300])
        notes = [n for n in report["notes"] if n["pass"] == "quantize"]
        check(any("calibrated with entropy on 32 samples" in n["message"] for n in notes),
              "report: calibration note", repr(notes))
        sizes = report["output_model"]
        check(sizes["file_bytes"] == os.path.getsize(out) and sizes["gzip_bytes"] > 0,
              "report: output file and gzip sizes", f"{sizes['file_bytes']}, {sizes['gzip_bytes']}")
        again = os.path.join(tmp, "again.onnx")
        r2 = optimize(binary, again, "-p", report["pipeline"], "--data", data)
        check(r2.returncode == 0 and open(out, "rb").read() == open(again, "rb").read(),
              "the report's canonical pipeline reproduces the output byte for byte", r2.stderr.strip())

        r = optimize(binary, os.path.join(tmp, "few.onnx"), "-p", "quantize", "--data", data,
                     "--calibration-samples", "10")
        check(r.returncode == 0 and "on 10 samples" in r.stdout, "--calibration-samples 10", r.stdout[-300:])

        qop = os.path.join(tmp, "qop.onnx")
        r = optimize(binary, qop, "-p", "fuse-bn,quantize{format=qoperator}", "--data", data)
        ops = [n.op_type for n in onnx.load(qop).graph.node] if r.returncode == 0 else []
        check(ops.count("QLinearConv") == 2 and "Conv" not in ops, "format=qoperator: QLinearConv",
              f"{r.stderr.strip()} {ops}")
        try:
            import onnxruntime as ort

            s = ort.InferenceSession(qop, providers=["CPUExecutionProvider"])
            y = s.run(None, {s.get_inputs()[0].name: np.load(os.path.join(data, "batch0.npy"))})[0]
            check(y.shape == (8, 10), "onnxruntime runs the QOperator model")
        except Exception as e:  # noqa: BLE001 - any failure to load or run is what is reported
            check(False, "onnxruntime runs the QOperator model", str(e))

        # On a terminal: the bar, redrawn in place, ending at every sample.
        master, slave = pty.openpty()
        p = subprocess.Popen([binary, "optimize", MODEL, "-o", os.path.join(tmp, "tty.onnx"), "-p", "quantize",
                              "--data", data], stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        drawn = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        p.wait()
        os.close(master)
        text = drawn.decode(errors="replace")
        check(p.returncode == 0 and "\rquantize: calibrating [" in text and "32/32" in text,
              "progress bar on a terminal", repr(text[:300]))

        float16_with_data(binary, tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
