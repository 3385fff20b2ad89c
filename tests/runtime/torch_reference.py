#!/usr/bin/python3
"""Writes torch_reference.json: parameter trajectories of torch.optim's
optimizers and the learning rates of torch.optim.lr_scheduler, which the
runtime tests compare against. Run with Debian's python3-torch (1.13):
    /usr/bin/python3 tests/runtime/torch_reference.py
"""
import json, math, pathlib
import torch

N, STEPS = 37, 10  # 37: whole vectors and a scalar tail


def initial():
    return torch.tensor([0.5 * math.sin(i + 1.0) for i in range(N)], dtype=torch.float32)


def gradient(p, t):
    # Computed in double from the float parameters, then rounded: the C++ test does the same.
    return torch.tensor([float(p[i]) * (0.3 + 0.01 * i) + 0.1 * math.cos(i + t) for i in range(N)],
                        dtype=torch.float64).float()


OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adagrad": lambda p: torch.optim.Adagrad([p], lr=0.1, lr_decay=0.01, weight_decay=0.01),
    "rmsprop": lambda p: torch.optim.RMSprop([p], lr=0.01),
    "rmsprop_momentum": lambda p: torch.optim.RMSprop([p], lr=0.01, momentum=0.5, weight_decay=0.01),
    "rmsprop_centered": lambda p: torch.optim.RMSprop([p], lr=0.01, centered=True),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.01),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
}


def trajectory(make):
    p = initial().requires_grad_(True)
    opt = make(p)
    out = []
    for t in range(1, STEPS + 1):
        p.grad = gradient(p.detach(), t)
        opt.step()
        out.append([float(v) for v in p.detach()])
    return out


def rates(make_scheduler, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


reference = {
    "n": N,
    "steps": STEPS,
    "initial": [float(v) for v in initial()],
    "optimizers": {name: trajectory(make) for name, make in OPTIMIZERS.items()},
    "schedules": {
        # per batch; lr 0.1, 100 steps, 10 a epoch
        "one_cycle": rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=100), 100),
        "cosine": rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100, eta_min=0.001), 100),
        # StepLR stepped per epoch (every 10 batches): step_size 2 epochs, gamma 0.5
        "step": [r for r in rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), 10)
                 for _ in range(10)],
    },
    "torch_version": torch.__version__,
}
path = pathlib.Path(__file__).with_name("torch_reference.json")
path.write_text(json.dumps(reference, indent=1) + "\n")
print("wrote", path)
