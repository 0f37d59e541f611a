#!/usr/bin/env python3
"""The committed Fashion-MNIST teacher (tests/fixtures/fashion_mnist_teacher.{onnx,json}) is what
its record says it is.

Checks: the JSON's sha256 and size are the .onnx file's (a retrained model was committed with its
own record); onnx.checker (full check); input "input" float32 [batch,1,28,28] and output "logits"
float32 [batch,10] with a symbolic batch; onnxruntime's top-1 accuracy on all 10,000 test images
equals the recorded one within 0.05 points and is at least 91%; and, given an onnx-lite binary,
the executor's logits on a few test images match onnxruntime's (max relative error 1e-4, same
classes). The compression work measures its accuracy drops against this model, so a fixture
that silently lost accuracy, or a record that no longer matches it, would skew every figure.

usage: teacher_fixture.py [ONNX_LITE]
Exits 77 (meson's "skipped") when the Fashion-MNIST files are absent (Debian's
dataset-fashion-mnist, installed by scripts/setup); prints 'N passed, M failed'.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.dont_write_bytecode = True  # no scripts/__pycache__ in the work tree
import fashion_mnist as fm  # noqa: E402

SKIPPED = 77
ACCURACY_TOLERANCE = 0.05  # percentage points, as scripts/train-teacher checks at export
MIN_ACCURACY = 91.0
EXECUTOR_IMAGES = 32
EXECUTOR_TOLERANCE = 1e-4



def value_info(v):
    """(element type, [dims as int or symbolic name]) of a graph input or output."""
    t = v.type.tensor_type
    return t.elem_type, [d.dim_param if d.HasField("dim_param") else d.dim_value
                         for d in t.shape.dim]


def check_executor(binary, images):
    """onnx-lite's logits on `images` against onnxruntime's (graph optimizations off)."""
    import onnxruntime as ort

    x = fm.model_input(images)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    expected = ort.InferenceSession(fm.TEACHER_ONNX, so, providers=["CPUExecutionProvider"]).run(
        None, {"input": x})[0]
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "input.npy"), x)
        r = subprocess.run([binary, "run", fm.TEACHER_ONNX, "--input",
                            f"input={os.path.join(tmp, 'input.npy')}", "--output-dir", tmp],
                           capture_output=True, text=True, timeout=300)
        if not check(r.returncode == 0, "onnx-lite run on test images",
                     f"exit {r.returncode}: {r.stderr.strip()}"):
            return
        got = np.load(os.path.join(tmp, "logits.npy"))
    if not check(got.shape == expected.shape, "onnx-lite logits shape",
                 f"{got.shape} != {expected.shape}"):
        return
    err = float(np.abs(got - expected).max() / np.abs(expected).max())
    check(err <= EXECUTOR_TOLERANCE, f"onnx-lite vs onnxruntime on {len(images)} test images "
          f"(max relative error {err:.1e})", f"above {EXECUTOR_TOLERANCE}")
    check((got.argmax(1) == expected.argmax(1)).all(), "onnx-lite predicts the same classes")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    if not fm.available():
        print(f"SKIP: Fashion-MNIST not found in {fm.DATA_DIR} (install dataset-fashion-mnist)")
        return SKIPPED
    with open(fm.TEACHER_JSON) as f:
        record = json.load(f)
    with open(fm.TEACHER_ONNX, "rb") as f:
        data = f.read()

    check(hashlib.sha256(data).hexdigest() == record["sha256"], "sha256 matches the record",
          "the .onnx was changed without rerunning scripts/train-teacher")
    check(len(data) == record["file_bytes"], "size matches the record",
          f"{len(data)} != {record['file_bytes']}")

    model = onnx.load_from_string(data)
    try:
        onnx.checker.check_model(model, full_check=True)
        check(True, "onnx.checker (full)")
    except Exception as e:  # the checker raises several exception types
        check(False, "onnx.checker (full)", str(e).splitlines()[0])

    f32 = onnx.TensorProto.FLOAT
    inputs = [(i.name, *value_info(i)) for i in model.graph.input]
    outputs = [(o.name, *value_info(o)) for o in model.graph.output]
    check(len(inputs) == 1 and inputs[0][:2] == ("input", f32) and
          inputs[0][2][1:] == [1, 28, 28] and isinstance(inputs[0][2][0], str) and inputs[0][2][0],
          "input is float32 [batch,1,28,28]", str(inputs))
    check(len(outputs) == 1 and outputs[0][:2] == ("logits", f32) and
          outputs[0][2][1:] == [10] and isinstance(outputs[0][2][0], str) and outputs[0][2][0],
          "output is float32 logits [batch,10]", str(outputs))

    images, labels = fm.load("test")
    accuracy, correct = fm.onnxruntime_accuracy(data, images, labels)
    recorded = record["accuracy"]["top1_percent"]
    check(abs(accuracy - recorded) <= ACCURACY_TOLERANCE,
          f"onnxruntime accuracy {accuracy:.2f}% ({correct}/{len(labels)}) is the recorded "
          f"{recorded:.2f}%", f"differs by more than {ACCURACY_TOLERANCE} points")
    check(accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.2f}% >= {MIN_ACCURACY}%")

    if binary:
        check_executor(binary, images[:EXECUTOR_IMAGES])
    else:
        print("no onnx-lite binary given: executor check not run")

    return summary()


if __name__ == "__main__":
    sys.exit(main())
