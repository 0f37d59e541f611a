#!/usr/bin/env python3
"""onnx-lite eval from the command line.

Checks:
- with --teacher, only this: the Fashion-MNIST teacher (tests/fixtures/fashion_mnist_teacher.{onnx,
  json}) on the 10,000 test images of Debian's IDX files: onnx-lite's top-1 equals the accuracy the
  JSON records (onnxruntime's) within 0.05 points (the 'slow' suite: a minute under ASan);
- the teacher with --limit 500: the first 500 images, as many right as onnxruntime gets;
- a nearest-class-mean linear model on the gzipped t10k IDX files: the same correct count as
  onnxruntime on the first 3000 images (runs without the teacher), and memory that does not grow
  with the number of samples (60,000 training images cost what 1,000 do);
- a small generated classifier on a folder of .npy samples with labels chosen so that exactly 7 of
  10 are right: top-1 70% in text and --json, the same as onnxruntime's argmax; top-5 with 6 classes;
- errors, each with a non-zero exit and a message naming what is at fault: a missing data file,
  labels that are not one per sample, a model whose output is not [batch, classes], a sample of
  the wrong shape, a label outside the classes, --labels left out, a bad --preprocess.

usage: eval_cli.py ONNX_LITE [--teacher]
Prints 'N passed, M failed'; the teacher and Fashion-MNIST cases are skipped (and said so) while
the fixture or the data set is absent.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.dont_write_bytecode = True  # no scripts/__pycache__ in the work tree
import fashion_mnist as fm  # noqa: E402

TEACHER_TOLERANCE = 0.05  # percentage points



def run(binary, *args):
    return subprocess.run([binary, "eval", *args], capture_output=True, text=True, timeout=600)


def eval_json(binary, *args):
    r = run(binary, *args, "--json")
    if r.returncode != 0:
        return None, r.stderr.strip()
    return json.loads(r.stdout), ""


def teacher_paths():
    images, labels = fm.paths("test")
    if not (os.path.exists(fm.TEACHER_ONNX) and os.path.exists(fm.TEACHER_JSON) and fm.available()):
        print("skip  teacher: fixture or Fashion-MNIST files absent")
        return None
    return images, labels


def check_teacher_full(binary):
    """All 10,000 test images: the accuracy the fixture's record gives (onnxruntime's)."""
    paths = teacher_paths()
    if paths is None:
        return
    images, labels = paths
    with open(fm.TEACHER_JSON) as f:
        recorded = json.load(f)["accuracy"]["top1_percent"]
    got, err = eval_json(binary, fm.TEACHER_ONNX, "--data", images, "--labels", labels, "--batch", "250",
                         "--threads", "2")
    if check(got is not None, "eval the teacher on t10k", err):
        check(got["samples"] == 10000 and got["classes"] == 10, "teacher: 10000 samples, 10 classes",
              f"{got['samples']} samples, {got['classes']} classes")
        check(abs(got["top1"] - recorded) <= TEACHER_TOLERANCE,
              f"teacher top-1 {got['top1']:.2f}% equals the recorded {recorded:.2f}% within {TEACHER_TOLERANCE}",
              f"got {got['top1']:.4f}")
        check(got["top5"] >= got["top1"], "teacher top-5 >= top-1")


def check_teacher_limit(binary):
    """--limit: the first 500 images, with a batch that does not divide them, as onnxruntime counts."""
    paths = teacher_paths()
    if paths is None:
        return
    images, labels = paths
    got, err = eval_json(binary, fm.TEACHER_ONNX, "--data", images, "--labels", labels, "--limit", "500",
                         "--batch", "64")
    if check(got is not None, "eval the teacher with --limit 500", err):
        import onnxruntime as ort
        x = fm.model_input(fm.read_idx(images)[:500])
        y = fm.read_idx(labels)[:500]
        sess = ort.InferenceSession(fm.TEACHER_ONNX, providers=["CPUExecutionProvider"])
        logits = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        want = int((logits.argmax(1) == y).sum())
        check(got["samples"] == 500 and got["top1_correct"] == want,
              f"--limit 500: {got['top1_correct']} correct, onnxruntime {want}")


# Peak memory of a command, measured by a small Python that forks and waits for it: the kernel
# carries the high-water mark across exec, so the command must not be forked from this process,
# which holds the data set in numpy.
_MEASURE = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_mb(binary, *args):
    """Peak resident memory of one `onnx-lite eval` run, in MiB (None when it fails)."""
    env = dict(os.environ)
    # ASan keeps freed blocks in a quarantine (256 MiB by default), which would read as growth.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
    r = subprocess.run([sys.executable, "-S", "-c", _MEASURE, binary, "eval", *args], capture_output=True,
                       text=True, env=env, timeout=600)
    return int(r.stdout.split()[-1]) / 1024 if r.returncode == 0 else None


def check_bounded_memory(binary, model):
    """Streaming: all 60,000 training images (47 MiB of pixels, 188 MiB as floats) cost about what
    1,000 do."""
    images, labels = fm.paths("train")
    small = peak_rss_mb(binary, model, "--data", images, "--labels", labels, "--limit", "1000")
    full = peak_rss_mb(binary, model, "--data", images, "--labels", labels)
    if check(small is not None and full is not None, "eval on the 60,000 training images"):
        check(full - small < 16, f"bounded memory: peak {full:.1f} MiB for 60,000 images, {small:.1f} MiB "
              "for 1,000")


def check_idx_linear(binary, tmp):
    """IDX end to end, teacher or not: a nearest-class-mean linear model on the gzipped t10k files."""
    if not fm.available():
        print("skip  IDX linear model: Fashion-MNIST files absent")
        return
    import onnxruntime as ort
    train_x, train_y = fm.load("train")
    x = fm.model_input(train_x).reshape(len(train_x), -1)
    means = np.stack([x[train_y == c].mean(0) for c in range(10)]).astype(np.float32)
    w = means.T.copy()                              # score = x . mean_c - |mean_c|^2 / 2
    b = (-0.5 * (means * means).sum(1)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input"], ["flat"]), helper.make_node("Gemm", ["flat", "w", "b"], ["logits"])],
        "nearest_mean", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = os.path.join(tmp, "nearest_mean.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
    check_bounded_memory(binary, model)
    images, labels = fm.paths("test")
    got, err = eval_json(binary, model, "--data", images, "--labels", labels, "--limit", "3000", "--batch", "128")
    if check(got is not None, "eval a linear model on t10k (gzipped IDX)", err):
        test_x, test_y = fm.load("test")
        sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        logits = sess.run(None, {"input": fm.model_input(test_x[:3000])})[0]
        want = int((logits.argmax(1) == test_y[:3000]).sum())
        check(got["samples"] == 3000 and got["top1_correct"] == want,
              f"IDX linear model: {got['top1_correct']} of 3000 correct, onnxruntime {want}")


def classifier(path, classes, out_shape=None):
    """x [N,4] -> MatMul W [4,classes] -> scores; out_shape reshapes the scores (a wrong output)."""
    w = np.arange(4 * classes, dtype=np.float32).reshape(4, classes) % 7 - 3
    nodes = [helper.make_node("MatMul", ["x", "w"], ["scores"])]
    inits = [numpy_helper.from_array(w, "w")]
    out = "scores"
    out_dims = ["N", classes]
    if out_shape is not None:
        inits.append(numpy_helper.from_array(np.array(out_shape, np.int64), "shape"))
        nodes.append(helper.make_node("Reshape", ["scores", "shape"], ["reshaped"]))
        out, out_dims = "reshaped", [None] * len(out_shape)
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_dims)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return w


def check_small(binary, tmp):
    model = os.path.join(tmp, "clf.onnx")
    w = classifier(model, 6)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 4)).astype(np.float32)
    pred = (x @ w).argmax(1)
    labels = pred.copy()
    labels[[1, 4, 8]] = (pred[[1, 4, 8]] + 1) % 6   # exactly 3 wrong
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    np.save(os.path.join(data, "a.npy"), x[:3])           # a batch of 3
    np.save(os.path.join(data, "b.npy"), x[3])            # one sample
    np.save(os.path.join(data, "c.npy"), x[4:])           # a batch of 6
    labels_path = os.path.join(tmp, "labels.npy")
    np.save(labels_path, labels.astype(np.int64))
    got, err = eval_json(binary, model, "--data", data, "--labels", labels_path, "--batch", "4")
    if check(got is not None, "eval a folder of .npy", err):
        check(got["samples"] == 10 and got["top1_correct"] == 7 and abs(got["top1"] - 70.0) < 1e-9,
              "top-1 is 7 of 10", json.dumps(got))
        scores = x @ w
        ranks = [(scores[i] > scores[i][labels[i]]).sum() for i in range(10)]
        check(got["top5_correct"] == sum(r < 5 for r in ranks), "top-5 as numpy ranks it")
    r = run(binary, model, "--data", data, "--labels", labels_path)
    check(r.returncode == 0 and "top-1       70.00% (7 correct)" in r.stdout and "samples     10" in r.stdout,
          "text output", r.stdout + r.stderr)
    return model, data, labels_path


def expect_error(binary, what, args, code, *needles):
    r = run(binary, *args)
    ok = r.returncode == code and all(n in r.stderr for n in needles) and r.stdout == ""
    check(ok, f"error: {what}", f"exit {r.returncode}, stderr {r.stderr.strip()!r}")


def check_errors(binary, tmp, model, data, labels_path):
    missing = os.path.join(tmp, "missing-images.gz")
    expect_error(binary, "missing data file", [model, "--data", missing, "--labels", labels_path], 1, missing)
    short = os.path.join(tmp, "short.npy")
    np.save(short, np.zeros(9, np.int64))
    expect_error(binary, "labels count mismatch", [model, "--data", data, "--labels", short], 1, short,
                 "9 labels", "10 samples")
    wrong = os.path.join(tmp, "wrong.onnx")
    classifier(wrong, 6, out_shape=[-1, 2, 3])
    expect_error(binary, "output not 2-D", [wrong, "--data", data, "--labels", labels_path], 1, "rank 3",
                 "[batch, classes]")
    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    bad_file = os.path.join(bad, "x.npy")
    np.save(bad_file, np.zeros((2, 5), np.float32))
    expect_error(binary, "sample of the wrong shape", [model, "--data", bad, "--labels", labels_path], 1,
                 bad_file, "float32[2,5]", "float32[N,4]")
    big = os.path.join(tmp, "big.npy")
    np.save(big, np.full(10, 6, np.int64))
    expect_error(binary, "label outside the classes", [model, "--data", data, "--labels", big], 1,
                 "sample 0 is 6", "6 classes", big)
    expect_error(binary, "--labels left out", [model, "--data", data], 2, "--labels")
    expect_error(binary, "bad --preprocess", [model, "--data", data, "--labels", labels_path, "--preprocess",
                                              "scale=x"], 2, "'x'", "scale")


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--teacher"):
        print(__doc__)
        return 2
    binary = sys.argv[1]
    if len(sys.argv) == 3:
        check_teacher_full(binary)
        return summary()
    check_teacher_limit(binary)
    with tempfile.TemporaryDirectory() as tmp:
        check_idx_linear(binary, tmp)
        model, data, labels_path = check_small(binary, tmp)
        check_errors(binary, tmp, model, data, labels_path)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
