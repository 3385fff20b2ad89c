#!/usr/bin/env python3
"""Writes a small Fashion-MNIST: the first N training and M test images (and
labels) of Debian's dataset-fashion-mnist, as the four gzip IDX files, so a
test trains an epoch in about a second.

    tools/small_fashion_mnist.py OUT_DIR [N_TRAIN [N_TEST [SOURCE_DIR]]]
"""
import gzip
import os
import struct
import sys


def cut(source, target, count):
    with gzip.open(source, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = list(struct.unpack(">%dI" % rank, data[4:4 + 4 * rank]))
    if count > dims[0]:
        sys.exit("%s holds %d items, fewer than %d" % (source, dims[0], count))
    item = 1
    for d in dims[1:]:
        item *= d
    start = 4 + 4 * rank
    header = data[:4] + struct.pack(">%dI" % rank, count, *dims[1:])
    with gzip.open(target, "wb") as f:
        f.write(header + data[start:start + count * item])


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    n_test = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    source = sys.argv[4] if len(sys.argv) > 4 else "/usr/share/datasets/fashion-mnist"
    os.makedirs(out, exist_ok=True)
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
            name = "%s-%s.gz" % (prefix, kind)
            cut(os.path.join(source, name), os.path.join(out, name), count)


if __name__ == "__main__":
    main()
