#!/usr/bin/python3
"""Checks graph_net_check's numbers against graph_net's PyTorch twin in float64:
the checkpoint's names load with load_state_dict(strict=True), and at each batch
size the inference scores, the training loss, every gradient and the updated
running statistics agree within 2e-3 relative.
    usage: check_against_torch.py STEP.safetensors TYPENET_SOURCE_DIR"""
import json, pathlib, struct, sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(pathlib.Path(sys.argv[2]) / "bench"))
from torch_nets import Concat, Residual  # noqa: E402


def read_safetensors(path):
    raw = pathlib.Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    header.pop("__metadata__", None)
    data = raw[8 + length:]
    types = {"F32": np.float32, "I64": np.int64}
    return {name: torch.from_numpy(np.frombuffer(data[t["data_offsets"][0]:t["data_offsets"][1]],
                                                 dtype=types[t["dtype"]]).reshape(t["shape"]).copy())
            for name, t in header.items()}


def graph_net():
    def bn(c):
        return nn.BatchNorm2d(c)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), bn(8), nn.ReLU(),
        Residual([nn.Conv2d(8, 8, 3, padding=1), bn(8), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, groups=2), bn(8)]),
        nn.ReLU(),
        Residual([nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=8), bn(16), nn.ReLU(), nn.Conv2d(16, 16, 1)],
                 [nn.Conv2d(8, 16, 1, stride=2, bias=False)]),
        Concat([nn.Conv2d(16, 4, 1)], [nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.Tanh()],
               [nn.MaxPool2d(3, 1, padding=1)]),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(36, 5))


def close(name, got, want, tolerance=2e-3):
    got, want = got.double(), want.double()
    error = ((got - want).abs() / (want.abs() + 1e-5)).max().item()
    if error > tolerance:
        raise SystemExit(f"{name}: relative error {error:.2e} over {tolerance:g}\n typenet {got.flatten()[:6]}\n"
                         f" PyTorch {want.flatten()[:6]}")
    return error


t = read_safetensors(sys.argv[1])
model = graph_net().double()
state = {k: v.double() for k, v in t.items() if not k.startswith("batch")}
for name, module in model.named_modules():
    if isinstance(module, nn.BatchNorm2d):
        state[f"{name}.num_batches_tracked"] = torch.tensor(0)
model.load_state_dict(state, strict=True)  # every name and shape PyTorch's, none missing, none extra
initial = {k: v.clone() for k, v in model.state_dict().items()}

worst = 0.0
for batch in (1, 5):
    at = f"batch{batch}."
    model.load_state_dict(initial)
    x, y = t[at + "input"].double(), t[at + "labels"]
    model.eval()
    with torch.no_grad():
        worst = max(worst, close(at + "scores", t[at + "scores"], model(x)))
    model.train()
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    worst = max(worst, close(at + "loss", t[at + "loss"], loss.detach()))
    for name, p in model.named_parameters():
        worst = max(worst, close(at + "grad." + name, t[at + "grad." + name], p.grad))
    for name, b in model.named_buffers():
        if not name.endswith("num_batches_tracked"):
            worst = max(worst, close(at + "new." + name, t[at + "new." + name], b))
print(f"graph_net matches its PyTorch twin (float64): largest relative error {worst:.2e} "
      f"over scores, loss, {len(list(model.parameters()))} gradients and the running statistics, batches 1 and 5")
