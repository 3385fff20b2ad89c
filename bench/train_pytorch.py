#!/usr/bin/python3
"""The PyTorch half of bench/train_vs_pytorch: one epoch of Fashion-MNIST
training of the same network as train_bench (same layers, initialization,
optimizer, batch), timed the same way (the training loop only).
    usage: train_pytorch.py <fashion|eva|resnet> <threads> [images] [eager|compile]
With `compile`, the model goes through torch.compile (PyTorch 2.x, Inductor's
CPU code): one step at each batch size the epoch uses comes first, untimed, so
the compilation (once per batch size) is not counted.
"""
import gzip, sys, time
import numpy as np
import torch
import torch.nn as nn

from torch_nets import NETWORKS, initialize

network, threads = sys.argv[1], int(sys.argv[2])
images = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
mode = sys.argv[4] if len(sys.argv) > 4 else "eager"
torch.set_num_threads(threads)
torch.manual_seed(1)
DATA = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


x = idx(f"{DATA}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:images]
y = idx(f"{DATA}/train-labels-idx1-ubyte.gz", 8)[:images].astype(np.int64)
x = torch.from_numpy(x.astype(np.float32) / 255.0)
x = (x - x.mean()) / x.std()
y = torch.from_numpy(y)


model = NETWORKS[network]()
initialize(model)
step_model = torch.compile(model, dynamic=False) if mode == "compile" else model

opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
model.train()


def step(batch):
    opt.zero_grad()
    loss = loss_fn(step_model(x[batch]), y[batch])
    loss.backward()
    opt.step()
    return loss.item() * len(batch)


order = torch.randperm(len(y))
if mode == "compile":
    for size in sorted({min(64, len(y)), len(y) % 64} - {0}):
        step(order[:size])
start = time.perf_counter()
total = 0.0
for b in range(0, len(y), 64):
    total += step(order[b:b + 64])
seconds = time.perf_counter() - start
print(f"pytorch {network}: {len(y)} images in {seconds:.3f} s = {len(y) / seconds:.1f} images/s "
      f"(loss {total / len(y):.4f}, torch {torch.__version__} {mode})")
