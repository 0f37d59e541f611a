"""Helpers shared by scripts/export-fixtures and scripts/export-small-fixtures.

Kept free of heavy imports at module level so that `ensure_venv()` can re-exec
the calling script before torch/tensorflow are loaded.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(REPO, ".venv")


def ensure_venv():
    """Re-run the current script with $REPO/.venv/bin/python if started elsewhere.

    The default `python3` on PATH here is a pyenv build that cannot see Debian's
    torch, so `./scripts/export-fixtures` would otherwise fail with an
    ImportError that says nothing about the venv.
    """
    venv_py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(venv_py):
        sys.exit(f"{VENV} is missing: run scripts/setup-python first")
    os.execv(venv_py, [venv_py, os.path.abspath(sys.argv[0])] + sys.argv[1:])


def quiet_tensorflow():
    """Silence TensorFlow's C++ banner and oneDNN notices before it is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # also keeps results reproducible


def ort_session(model):
    """An onnxruntime session that computes reference outputs.

    Graph optimizations are off so the reference reflects the graph as written
    (fusions such as approximate GELU would change the numbers a C optimizer is
    compared against), and one thread so reductions run in a fixed order and
    rerunning gives the same bytes.  `model` is a path or serialized bytes.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def check_and_write_test_data(model_path, inputs, data_dir):
    """Check `model_path`, run it on `inputs` and write one backend-test data set.

    `inputs` maps graph input names to numpy arrays.  Writes
    data_dir/input_N.pb and data_dir/output_N.pb (serialized TensorProto named
    after the graph value, N in graph order), the layout of the ONNX backend
    node tests, so C tests can reuse one loader for both.  Returns the outputs.
    """
    import onnx
    from onnx import numpy_helper

    # A path (not a loaded proto) lets the checker follow external data and
    # handles models over 2 GB.
    onnx.checker.check_model(model_path, full_check=True)
    sess = ort_session(model_path)
    in_names = [i.name for i in sess.get_inputs()]
    if sorted(in_names) != sorted(inputs):
        raise ValueError(f"{model_path}: inputs {in_names}, data given for {list(inputs)}")
    out_names = [o.name for o in sess.get_outputs()]
    outputs = sess.run(out_names, inputs)

    os.makedirs(data_dir, exist_ok=True)
    for kind, names, arrays in (("input", in_names, [inputs[n] for n in in_names]),
                                ("output", out_names, outputs)):
        for i, (name, arr) in enumerate(zip(names, arrays)):
            tensor = numpy_helper.from_array(arr, name=name)
            with open(os.path.join(data_dir, f"{kind}_{i}.pb"), "wb") as f:
                f.write(tensor.SerializeToString())
    return dict(zip(out_names, outputs))


def human_size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
