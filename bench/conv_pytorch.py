"""PyTorch's side of bench/conv_vs_pytorch, and the table.

Reads typenet's measurements (JSON lines from conv_bench), times the same
convolutions with torch on the same number of threads, and prints both side
by side with GFLOP/s, the fraction of the measured FMA peak, and speedups.
Run it with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import statistics
import sys
import time

import torch

SHAPES = {  # name: (in channels, out channels, size, batch, layers)
    "1->16 28x28": (1, 16, 28, 64, 1),
    "16->16 26x26": (16, 16, 26, 64, 1),
    "16->32 12x12": (16, 32, 12, 64, 1),
    "32->32 10x10": (32, 32, 10, 64, 1),
    "64->64 56x56": (64, 64, 56, 64, 1),
    "99x 1->1 199x199": (1, 1, 199, 1, 99),
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


def measure_torch(cin, cout, size, batch, layers):
    torch.manual_seed(1)
    model = torch.nn.Sequential(*[torch.nn.Conv2d(cin, cout, 3) for _ in range(layers)])
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


def main():
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    peak = lines[0]["fma_peak_gflops"]
    ours = {line["shape"]: line for line in lines[1:]}
    print(f"threads: {threads} (typenet and torch {torch.__version__}, run in turn); "
          f"measured FMA peak: {peak:.1f} GFLOP/s; typenet target: {lines[1]['target']}")
    header = (f"{'shape':<18}{'pass':<9}{'typenet ms':>11}{'GFLOP/s':>9}{'peak':>6}"
              f"{'torch ms':>10}{'GFLOP/s':>9}{'peak':>6}{'speedup':>9}")
    print(header)
    print("-" * len(header))
    speedups = []
    for name, dims in SHAPES.items():
        t = ours[name]
        torch_forward, torch_both = measure_torch(*dims)
        flops = 2 * t["macs"]
        for label, mine, theirs, work in (("fwd", t["forward_s"], torch_forward, flops),
                                          ("fwd+bwd", t["forward_backward_s"], torch_both, 3 * flops)):
            speedup = theirs / mine
            speedups.append(speedup)
            print(f"{name:<18}{label:<9}{mine * 1e3:>11.3f}{work / mine / 1e9:>9.1f}{work / mine / 1e9 / peak:>6.0%}"
                  f"{theirs * 1e3:>10.3f}{work / theirs / 1e9:>9.1f}{work / theirs / 1e9 / peak:>6.0%}{speedup:>9.2f}")
    print(f"min speedup vs PyTorch: {min(speedups):.2f}")


if __name__ == "__main__":
    main()
