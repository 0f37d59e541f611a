#!/usr/bin/env python3
"""Image data sets against the Python pipeline models are trained with.

Writes a folder of PNG (RGB, gray, RGBA, palette) and JPEG (RGB, gray) images of several sizes
with PIL, has onnx-lite decode and preprocess them (the dataset-dump helper), and compares the
tensors with torchvision's Compose([Resize(r), CenterCrop(c), ToTensor(), Normalize(mean, std)])
on Image.open(f).convert('RGB') (or 'L' for a one-channel input), and with plain PIL + numpy when
torchvision is absent. onnx-lite follows PIL's resampler in its fixed-point arithmetic, so the
pixels must be identical: the tolerance is float rounding (1e-5).

usage: images_vs_pil.py DATASET_DUMP
Exits 77 (meson's "skipped") when PIL is not importable; prints 'N passed, M failed'.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    from PIL import Image
except ImportError:
    print("PIL is not installed: skipped")
    sys.exit(77)
try:
    from torchvision import transforms
except ImportError:
    transforms = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402

TOLERANCE = 1e-5
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)



def write_images(folder):
    rng = np.random.default_rng(0)

    def noise(h, w, c):
        # Smooth gradients plus noise: resampling errors show on both.
        y, x = np.mgrid[0:h, 0:w]
        base = (x * 255 // max(w - 1, 1) + y * 128 // max(h - 1, 1))[..., None]
        img = (base + rng.integers(0, 60, (h, w, c))) % 256
        return img.astype(np.uint8)

    Image.fromarray(noise(23, 37, 3)).save(os.path.join(folder, "a_rgb.png"))
    Image.fromarray(noise(64, 50, 3)).save(os.path.join(folder, "b_rgb_tall.png"))
    Image.fromarray(noise(30, 31, 1)[..., 0]).save(os.path.join(folder, "c_gray.png"))
    Image.fromarray(noise(40, 28, 4)).save(os.path.join(folder, "d_rgba.png"))
    Image.fromarray(noise(33, 33, 3)).quantize(16).save(os.path.join(folder, "e_palette.png"))
    Image.fromarray(noise(45, 61, 3)).save(os.path.join(folder, "f_rgb.jpg"), quality=90)
    Image.fromarray(noise(26, 20, 1)[..., 0]).save(os.path.join(folder, "g_gray.jpg"), quality=85)
    Image.fromarray(noise(17, 17, 3)).save(os.path.join(folder, "h_small.png"))   # upscaled


def reference(folder, mode, resize, crop, mean, std):
    """[N,C,H,W] float32 the way torchvision (or PIL + numpy) preprocesses the folder."""
    out = []
    for name in sorted(os.listdir(folder)):
        img = Image.open(os.path.join(folder, name)).convert(mode)
        if transforms is not None:
            t = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop(crop), transforms.ToTensor(),
                                    transforms.Normalize(mean, std)])
            out.append(t(img).numpy())
            continue
        w, h = img.size
        if w <= h:
            size = (resize, int(resize * h / w))
        else:
            size = (int(resize * w / h), resize)
        img = img.resize(size, Image.BILINEAR)
        ch, cw = crop if isinstance(crop, tuple) else (crop, crop)
        top, left = int(round((img.size[1] - ch) / 2.0)), int(round((img.size[0] - cw) / 2.0))
        a = np.asarray(img.crop((left, top, left + cw, top + ch)), np.float32) / np.float32(255)
        a = a.reshape(ch, cw, -1).transpose(2, 0, 1)
        m = np.array(mean, np.float32).reshape(-1, 1, 1)
        s = np.array(std, np.float32).reshape(-1, 1, 1)
        out.append((a - m) / s)
    return np.stack(out)


def dump(helper, folder, dtype, dims, preprocess, tmp):
    out = os.path.join(tmp, "out.npy")
    r = subprocess.run([helper, folder, dtype, dims, preprocess, out], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return np.load(out), ""


def compare(what, got, want):
    if got is None or got.shape != want.shape:
        check(False, what, f"shape {None if got is None else got.shape} vs {want.shape}")
        return
    err = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    check(err <= TOLERANCE, f"{what}: max abs error {err:.2g}", f"worst at {np.unravel_index(np.abs(got - want).argmax(), got.shape)}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    helper = sys.argv[1]
    print(f"reference: {'torchvision' if transforms is not None else 'PIL + numpy'}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "images")
        os.mkdir(folder)
        write_images(folder)
        mean, std = ":".join(map(str, MEAN)), ":".join(map(str, STD))
        pp = f"resize=20,crop=16,mean={mean},std={std}"
        want = reference(folder, "RGB", 20, 16, MEAN, STD)
        got, err = dump(helper, folder, "float32", "N,3,16,16", pp, tmp)
        if check(got is not None, "dump RGB NCHW", err):
            compare("RGB NCHW, resize 20, crop 16, ImageNet mean/std", got, want)
            for i, name in enumerate(sorted(os.listdir(folder))):
                e = float(np.abs(got[i] - want[i]).max())
                if e > TOLERANCE:
                    print(f"      {name}: max abs error {e:.3g}")
        # mean and std are listed in the order of the channels written: B, G, R here.
        bgr = f"resize=20,crop=16,channels=bgr,mean={':'.join(map(str, MEAN[::-1]))},std={':'.join(map(str, STD[::-1]))}"
        got, err = dump(helper, folder, "float32", "N,16,16,3", bgr, tmp)
        if check(got is not None, "dump BGR NHWC", err):
            compare("BGR NHWC", got, want[:, ::-1].transpose(0, 2, 3, 1))
        want = reference(folder, "L", 24, (12, 20), (0.5,), (0.25,))
        got, err = dump(helper, folder, "float32", "N,1,12,20", "resize=24,crop=12x20,mean=0.5,std=0.25", tmp)
        if check(got is not None, "dump gray", err):
            compare("gray, resize 24, crop 12x20", got, want)
        want = reference(folder, "RGB", 16, 16, (0, 0, 0), (1, 1, 1))
        got, err = dump(helper, folder, "uint8", "N,3,16,16", "resize=16,crop=16", tmp)
        if check(got is not None, "dump uint8", err):
            compare("uint8 pixels", got.astype(np.float32) / 255, want)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
