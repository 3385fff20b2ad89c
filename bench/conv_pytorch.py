"""PyTorch's side of bench/conv_vs_pytorch, and the table.

    conv_pytorch.py measure THREADS          torch's times, one JSON line a shape
    conv_pytorch.py table ROUNDS_DIR         the table from ROUNDS_DIR/typenet.N
                                             and ROUNDS_DIR/torch.N (N = 1, 2, ...)

bench/conv_vs_pytorch runs typenet's conv_bench and `measure` in turn, each
in a process of its own (so no idle thread pool of one side spins while the
other runs), for several rounds. The table has the median of the rounds for
each shape and pass, side by side with GFLOP/s, the fraction of the measured
FMA peak, and speedups. Run it with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import statistics
import pathlib
import sys
import time

import torch

SHAPES = {  # name: (in channels, out channels, size, batch, layers, padding, groups)
    "1->16 28x28": (1, 16, 28, 64, 1, 0, 1),
    "16->16 26x26": (16, 16, 26, 64, 1, 0, 1),
    "16->32 12x12": (16, 32, 12, 64, 1, 0, 1),
    "32->32 10x10": (32, 32, 10, 64, 1, 0, 1),
    "64->64 56x56": (64, 64, 56, 64, 1, 0, 1),
    "dw 64 28x28 p1": (64, 64, 28, 64, 1, 1, 64),
    "64->64/8 14x14 p1": (64, 64, 14, 64, 1, 1, 8),
    "99x 1->1 199x199": (1, 1, 199, 1, 99, 0, 1),
}


def median_seconds(run):
    for _ in range(2):
        run()
    times, begin = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - begin < 1.0:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_torch(cin, cout, size, batch, layers, padding, groups):
    torch.manual_seed(1)
    model = torch.nn.Sequential(*[torch.nn.Conv2d(cin, cout, 3, padding=padding, groups=groups) for _ in range(layers)])
    x = torch.randn(batch, cin, size, size)
    with torch.no_grad():
        forward = median_seconds(lambda: model(x))
        out_shape = model(x).shape
    g = torch.randn(out_shape)
    xg = x.clone().requires_grad_(True)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        xg.grad = None
        model(xg).backward(g)  # weight, bias and input gradients, as typenet's

    return forward, median_seconds(forward_backward)


def measure(threads):
    torch.set_num_threads(threads)
    for name, dims in SHAPES.items():
        forward, forward_backward = measure_torch(*dims)
        print(json.dumps({"shape": name, "forward_s": forward, "forward_backward_s": forward_backward}), flush=True)


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def table(rounds_dir):
    ours, theirs, peaks = {}, {}, []
    for path in sorted(rounds_dir.glob("typenet.*")):
        lines = read_lines(path)
        peaks += [line["fma_peak_gflops"] for line in lines if "fma_peak_gflops" in line]
        threads = next(line["threads"] for line in lines if "threads" in line)
        for line in lines:
            if "shape" in line:
                ours.setdefault(line["shape"], []).append(line)
    for path in sorted(rounds_dir.glob("torch.*")):
        for line in read_lines(path):
            theirs.setdefault(line["shape"], []).append(line)
    rounds, peak = len(peaks), statistics.median(peaks)
    target = next(iter(ours.values()))[0]["target"]
    print(f"threads: {threads} (typenet and torch {torch.__version__}, run in turn); medians of {rounds} rounds; "
          f"measured FMA peak: {peak:.1f} GFLOP/s; typenet target: {target}")
    header = (f"{'shape':<18}{'pass':<9}{'typenet ms':>11}{'GFLOP/s':>9}{'peak':>6}"
              f"{'torch ms':>10}{'GFLOP/s':>9}{'peak':>6}{'speedup':>9}")
    print(header)
    print("-" * len(header))
    speedups = []
    for name in SHAPES:
        flops = 2 * ours[name][0]["macs"]
        for key, label, work in (("forward_s", "fwd", flops), ("forward_backward_s", "fwd+bwd", 3 * flops)):
            mine = statistics.median(line[key] for line in ours[name])
            other = statistics.median(line[key] for line in theirs[name])
            speedup = other / mine
            speedups.append(speedup)
            print(f"{name:<18}{label:<9}{mine * 1e3:>11.3f}{work / mine / 1e9:>9.1f}{work / mine / 1e9 / peak:>6.0%}"
                  f"{other * 1e3:>10.3f}{work / other / 1e9:>9.1f}{work / other / 1e9 / peak:>6.0%}{speedup:>9.2f}")
    print(f"min speedup vs PyTorch: {min(speedups):.2f}")


def main():
    if sys.argv[1] == "measure":
        measure(int(sys.argv[2]))
    else:
        table(pathlib.Path(sys.argv[2]))


if __name__ == "__main__":
    main()
