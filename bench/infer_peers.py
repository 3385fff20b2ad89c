"""The peers' half of bench/infer_vs_peers: the PyTorch twin of a sample network
exported to ONNX, and its inference timed in ONNX Runtime and OpenVINO the way
infer_bench times typenet's `forward` (the same test images, a warm-up, calls
for about a second, the median call).
    usage: /usr/bin/python3 infer_peers.py export <fashion|eva|resnet> <out.onnx>
           <venv>/bin/python infer_peers.py measure <model.onnx> <onnxruntime|openvino> <threads> <batch>
Export runs with Debian's PyTorch 1.13; measure runs in the bench's virtual
environment, which holds the peers and no PyTorch.
"""
import gzip
import statistics
import sys
import time

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def export(network, path):
    import torch
    from torch_nets import NETWORKS, initialize

    torch.manual_seed(1)
    model = NETWORKS[network]()
    initialize(model)
    model.eval()  # batchnorm's running statistics, no dropout: typenet's `forward`
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["images"], output_names=["scores"],
                      dynamic_axes={"images": {0: "batch"}, "scores": {0: "batch"}}, opset_version=13)


def test_images(batch):
    with gzip.open(f"{DATA}/t10k-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16).astype(np.float32) / 255.0
    pixels = (pixels - pixels.mean()) / pixels.std()
    images = pixels.reshape(-1, 1, 28, 28)
    return np.ascontiguousarray(images[np.arange(batch) % len(images)])


def onnxruntime_call(path, threads, images):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return (lambda: session.run(None, {"images": images})), f"onnxruntime {ort.__version__}"


def openvino_call(path, threads, images):
    import openvino as ov

    core = ov.Core()
    model = core.read_model(path)
    model.reshape({"images": list(images.shape)})  # a static batch, compiled for it
    compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1,
                                                 "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    return (lambda: request.infer({"images": images})), f"openvino {ov.get_version().split('-')[0]}"


def measure(path, peer, threads, batch):
    images = test_images(batch)
    call, version = {"onnxruntime": onnxruntime_call, "openvino": openvino_call}[peer](path, threads, images)
    for _ in range(10):
        call()
    ms = []
    end = time.perf_counter() + 1.0
    while len(ms) < 20 or time.perf_counter() < end:
        start = time.perf_counter()
        call()
        ms.append((time.perf_counter() - start) * 1e3)
    print(f"{peer} batch {batch} threads {threads}: {statistics.median(ms):.4f} ms "
          f"(median of {len(ms)} calls, {version})")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 6 and sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
