"""Where the ONNX backend node conformance suite lives.

The tests look, in order: $ONNX_NODE_TESTS; the onnx Python package's own copy
(onnx/backend/test/data/node, shipped by releases up to 1.16; later releases dropped it);
../shared/onnx-tests/node beside the checkout. If none holds model folders, they fail loudly
instead of passing on nothing.
"""
import glob
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def candidates():
    env = os.environ.get("ONNX_NODE_TESTS")
    if env:
        yield env
    try:
        import onnx
        yield os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    except ImportError:
        pass
    yield os.path.join(REPO, "..", "shared", "onnx-tests", "node")


def find_node_suite():
    tried = []
    for c in candidates():
        tried.append(c)
        if len(glob.glob(os.path.join(c, "*", "model.onnx"))) > 100:
            return os.path.abspath(c)
    raise SystemExit("ONNX node conformance suite not found; looked in: " + ", ".join(tried) +
                     " (set ONNX_NODE_TESTS to its folder)")


if __name__ == "__main__":
    print(find_node_suite())
