"""Fashion-MNIST for scripts and tests: where Debian puts it, how to read it, the teacher files.

Debian's dataset-fashion-mnist package (installed by scripts/setup) ships the four IDX files
gzipped under /usr/share/datasets/fashion-mnist/ ($FASHION_MNIST_DIR overrides it); nothing is
downloaded. Only the standard library and numpy are imported (onnxruntime on demand), so
scripts/train-teacher, scripts/bench-quantize and the integration tests share it without pulling
in torch.
"""

import gzip
import os

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")

# split -> (images file, labels file), as named by the upstream release and Debian's package.
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# The committed teacher model and its record (accuracy, training settings), written by
# scripts/train-teacher and checked by tests/integration/teacher_fixture.py.
TEACHER_ONNX = os.path.join(REPO, "tests", "fixtures", "fashion_mnist_teacher.onnx")
TEACHER_JSON = os.path.join(REPO, "tests", "fixtures", "fashion_mnist_teacher.json")

# IDX type codes (the third byte of the magic) -> numpy dtype; IDX stores multi-byte values
# big-endian.
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def paths(split, data_dir=None):
    """(images path, labels path) of `split` ("train" or "test")."""
    d = data_dir or DATA_DIR
    images, labels = FILES[split]
    return os.path.join(d, images), os.path.join(d, labels)


def available(data_dir=None):
    """True when all four IDX files exist."""
    return all(os.path.isfile(p) for s in FILES for p in paths(s, data_dir))


def read_idx(path):
    """The array stored in the IDX file `path` (gzipped when the name ends in .gz).

    Raises ValueError naming the file when the header is malformed or the size disagrees with it.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({ndim} dimensions)")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path}: IDX header says shape {shape} ({expected} bytes of data), "
                         f"file has {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def load(split, data_dir=None):
    """(images uint8 [N,28,28], labels uint8 [N]) of `split` ("train" or "test")."""
    images_path, labels_path = paths(split, data_dir)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise ValueError(f"{images_path}, {labels_path}: shapes {images.shape} and {labels.shape}, "
                         "expected [N,28,28] images and [N] labels")
    return images, labels


def model_input(images):
    """The teacher's input for uint8 `images` [N,28,28]: float32 [N,1,28,28] scaled to [0,1].

    Any mean/std normalization is inside the model, so this is all a consumer does.
    """
    return (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]


def onnxruntime_accuracy(model, images, labels, batch=1000):
    """Top-1 accuracy in percent of the ONNX `model` (path or bytes) on uint8 `images` [N,28,28].

    Runs onnxruntime's CPU provider with default graph optimizations; returns (accuracy, correct).
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    correct = 0
    for i in range(0, len(images), batch):
        logits = sess.run(None, {in_name: model_input(images[i:i + batch])})[0]
        correct += int((logits.argmax(axis=1) == labels[i:i + batch]).sum())
    return 100.0 * correct / len(images), correct
