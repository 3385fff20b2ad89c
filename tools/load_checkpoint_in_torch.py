#!/usr/bin/python3
"""Loads a checkpoint written by samples/fashion_mnist into the equivalent
torch.nn.Sequential (bench/torch_nets.py) with load_state_dict (strict), and
prints its Fashion-MNIST test accuracy: a check that the checkpoint's names,
shapes and bytes are PyTorch's.
    usage: tools/load_checkpoint_in_torch.py [--network fashion|eva|resnet] run.safetensors
(Reads safetensors with the standard library: Debian has no python3-safetensors.)
"""
import argparse, gzip, json, pathlib, struct, sys
import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "bench"))
from torch_nets import NETWORKS  # noqa: E402

DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).copy())
    return tensors, meta


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--network", choices=sorted(NETWORKS), default="fashion")
parser.add_argument("checkpoint")
args = parser.parse_args()
tensors, meta = read_safetensors(args.checkpoint)
model = NETWORKS[args.network]()
model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optimizer.")}, strict=True)
model.eval()

DATA = "/usr/share/datasets/fashion-mnist"
with gzip.open(f"{DATA}/t10k-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
with gzip.open(f"{DATA}/t10k-labels-idx1-ubyte.gz") as f:
    y = torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64))
mean, std = float(meta["normalization_mean"]), float(meta["normalization_std"])
x = (torch.from_numpy(x) - mean) / std
with torch.no_grad():
    correct = (model(x).argmax(1) == y).sum().item()
print(f"{args.network}, epoch {meta.get('epoch')}, optimizer {meta.get('optimizer')}: PyTorch test accuracy {correct / len(y):.4f}")
