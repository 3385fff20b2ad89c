#!/usr/bin/python3
"""The PyTorch half of bench/train_vs_pytorch: one epoch of Fashion-MNIST
training of the same network as train_bench (same layers, initialization,
optimizer, batch), timed the same way (the training loop only).
    usage: train_pytorch.py <fashion|eva|resnet> <threads> [images]
"""
import gzip, sys, time
import numpy as np
import torch
import torch.nn as nn

from torch_nets import NETWORKS, Concat, Residual

network, threads = sys.argv[1], int(sys.argv[2])
images = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
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


# typenet's default initialization: He normal before a ReLU (through a batchnorm or
# not), Xavier uniform otherwise, zero biases; inside units, sequence by sequence.
def initialize(sequence):
    layers = list(sequence)
    for i, m in enumerate(layers):
        if isinstance(m, Residual):
            initialize(m.body)
            initialize(m.shortcut)
        elif isinstance(m, Concat):
            for branch in m.branches:
                initialize(branch)
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            before_relu = any(isinstance(n, nn.ReLU) for n in layers[i + 1:i + 3])
            if before_relu:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


initialize(model)

opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
model.train()
order = torch.randperm(len(y))
start = time.perf_counter()
total = 0.0
for b in range(0, len(y), 64):
    idx_b = order[b:b + 64]
    opt.zero_grad()
    loss = loss_fn(model(x[idx_b]), y[idx_b])
    loss.backward()
    opt.step()
    total += loss.item() * len(idx_b)
seconds = time.perf_counter() - start
print(f"pytorch {network}: {len(y)} images in {seconds:.3f} s = {len(y) / seconds:.1f} images/s (loss {total / len(y):.4f})")
