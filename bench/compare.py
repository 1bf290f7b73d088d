"""Stage 1 throughput side by side, in one run: each Keras backend (bench/stage1_step.py) and lightly's SimCLR
(bench/lightly_simclr.py, in its own environment), with model FLOPs per view and this machine's matmul peak.

    python bench/compare.py --lightly-python ../lightly-venv/bin/python --steps 10

Prints a markdown table for BENCHMARKS.md. Each measurement runs in its own process, one after another."""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
HERE = Path(__file__).parent
p = argparse.ArgumentParser()
p.add_argument("--lightly-python", help="python of the bench-only environment that has lightly (skipped if absent)")
p.add_argument("--backends", default="tensorflow,torch,jax")
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
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


def matmul_peak(n=2048, repeats=10) -> dict:
    "Best float32 matmul FLOP/s of NumPy and TensorFlow on this machine (n x n, best of `repeats`)."
    import numpy as np
    import tensorflow as tf
    a, b = np.random.rand(n, n).astype("float32"), np.random.rand(n, n).astype("float32")
    ta, tb = tf.constant(a), tf.constant(b)
    best = {}
    for name, f in (("numpy", lambda: a @ b), ("tensorflow", lambda: tf.linalg.matmul(ta, tb).numpy())):
        f()
        times = []
        for _ in range(repeats):
            start = time.perf_counter(); f(); times.append(time.perf_counter() - start)
        best[name] = 2 * n**3 / min(times)
    return best


from semisuper.runs import preset
from semisuper.simclr import simclr_model
cfg = preset("cpu")
flops = model_flops(simclr_model(**cfg.model_args()))
peaks = matmul_peak()
peak = max(peaks.values())
rows = [run(sys.executable, "stage1_step.py", backend=b) for b in args.backends.split(",")]
if args.lightly_python and Path(args.lightly_python).exists():
    rows.append(run(args.lightly_python, "lightly_simclr.py", "--batch", str(cfg.pretrain_batch), "--size", str(cfg.size),
                    "--width", str(cfg.width)))
lightly = next((r["train_views_per_s"] for r in rows if r["backend"].startswith("lightly")), None)
print(f"forward GFLOPs per view {flops / 1e9:.4f}; train step ~3x forward = {3 * flops / 1e9:.4f} GFLOPs per view")
print("matmul peak (float32, 2048^3): " + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in peaks.items()))
print("\n| engine | train views/s | vs lightly | achieved GFLOP/s | of matmul peak | input pipeline views/s |")
print("|---|---|---|---|---|---|")
for r in rows:
    v = r["train_views_per_s"]
    achieved = 3 * flops * v
    print(f"| {r['backend']} | {v:.1f} | {f'{v / lightly:.2f}×' if lightly else '–'} | {achieved / 1e9:.1f} | "
          f"{100 * achieved / peak:.0f} % | {r.get('pipeline_views_per_s', '–')} |")
print(json.dumps({"flops_per_view_forward": flops, "matmul_peak": peaks, "rows": rows}))
