"""Stage 1 throughput side by side, in one run: each Keras backend (bench/stage1_step.py) and lightly's SimCLR
(bench/lightly_simclr.py, in its own environment), with model FLOPs per view and this machine's matmul peak.

    python bench/compare.py --lightly-python ../lightly-venv/bin/python --steps 10
    python bench/compare.py --preset gpu --data ../shared/data/chest_xray --backends jax,tensorflow --steps 300

Prints a markdown table for BENCHMARKS.md. Each measurement runs in its own process, one after another (the matmul
peak and FLOP count too, so this process never holds an accelerator while a backend measures). The peak is a float32
matmul, or bfloat16 when the preset trains in mixed_bfloat16, on TensorFlow's device (the GPU when there is one)."""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
HERE = Path(__file__).parent
p = argparse.ArgumentParser()
p.add_argument("--lightly-python", help="python of the bench-only environment that has lightly (skipped if absent)")
p.add_argument("--backends", default="tensorflow,torch,jax")
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--preset", default="cpu")
p.add_argument("--data", help="Stage 1 on these X-rays instead of random images")
p.add_argument("--peak-only", action="store_true", help=argparse.SUPPRESS)  # the child that measures peak and FLOPs
args = p.parse_args()


def run(python, script, *extra, backend=None):
    env = {**os.environ, **({"KERAS_BACKEND": backend} if backend else {}), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([python, str(HERE / script), "--steps", str(args.steps), "--warmup", str(args.warmup), *extra],
                          capture_output=True, text=True, env=env)
    if proc.returncode: sys.exit(f"{script} ({backend or python}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def model_flops(model) -> int:
    "Forward FLOPs of one view (2 per multiply-add) of every convolution and dense layer."
    import keras
    total = 0
    for layer in model.encoder._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * h * w * kh * kw * cin * cout
    if not model.head.built: model.head.build((None, model.encoder.output_shape[-1]))
    for dense in model.head.dense: total += 2 * dense.kernel.shape[0] * dense.kernel.shape[1]
    return int(total)


def matmul_peak(repeats=10, dtype="float32") -> dict:
    "Best matmul FLOP/s of NumPy (float32, CPU) and TensorFlow (`dtype`, its device) here (n x n, best of `repeats`)."
    import numpy as np
    import tensorflow as tf
    n = 8192 if tf.config.list_physical_devices("GPU") else 2048
    a, b = np.random.rand(n, n).astype("float32"), np.random.rand(n, n).astype("float32")
    ta, tb = tf.cast(tf.constant(a), dtype), tf.cast(tf.constant(b), dtype)
    best = {}
    for name, f in (("numpy float32", lambda: a @ b), (f"tensorflow {dtype}", lambda: tf.linalg.matmul(ta, tb)[0, 0].numpy())):
        f()
        times = []
        for _ in range(repeats):
            start = time.perf_counter(); f(); times.append(time.perf_counter() - start)
        best[name] = 2 * n**3 / min(times)
    return best


if args.peak_only:
    from semisuper.runs import preset
    from semisuper.simclr import simclr_model
    cfg = preset(args.preset)
    print(json.dumps({"flops": model_flops(simclr_model(**cfg.model_args())),
                      "peaks": matmul_peak(dtype="bfloat16" if cfg.precision == "mixed_bfloat16" else "float32"),
                      "batch": cfg.pretrain_batch, "size": cfg.size, "width": cfg.width, "depth": cfg.depth,
                      "channels": cfg.channels, "stem": cfg.stem, "precision": cfg.precision}))
    sys.exit()
measured = run(sys.executable, "compare.py", "--peak-only", "--preset", args.preset, backend="tensorflow")
flops, peaks, cfg = measured["flops"], measured["peaks"], measured
peak = max(peaks.values())
extra = ["--preset", args.preset, *(["--data", args.data] if args.data else [])]
rows = [run(sys.executable, "stage1_step.py", *extra, backend=b) for b in args.backends.split(",")]
if args.lightly_python and Path(args.lightly_python).exists():
    rows.append(run(args.lightly_python, "lightly_simclr.py", "--batch", str(cfg["batch"]), "--size", str(cfg["size"]),
                    "--width", str(cfg["width"]), "--depth", str(cfg["depth"]), "--channels", str(cfg["channels"]),
                    *(["--bf16"] if cfg["precision"] == "mixed_bfloat16" else [])))
lightly = next((r["train_views_per_s"] for r in rows if r["backend"].startswith("lightly")), None)
print(f"forward GFLOPs per view {flops / 1e9:.4f}; train step ~3x forward = {3 * flops / 1e9:.4f} GFLOPs per view")
print("matmul peak: " + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in peaks.items()))
print("\n| engine | train views/s | vs lightly | achieved GFLOP/s | of matmul peak | input pipeline views/s |")
print("|---|---|---|---|---|---|")
for r in rows:
    v = r["train_views_per_s"]
    achieved = 3 * flops * v
    print(f"| {r['backend']} | {v:.1f} | {f'{v / lightly:.2f}×' if lightly else '–'} | {achieved / 1e9:.1f} | "
          f"{100 * achieved / peak:.0f} % | {r.get('pipeline_views_per_s', '–')} |")
print(json.dumps({"flops_per_view_forward": flops, "matmul_peak": peaks, "rows": rows}))
