"""Stage 1 training throughput (views/s) of one backend: `KERAS_BACKEND=torch python bench/stage1_step.py`.

Fits the SimCLR model of the `cpu` preset (or --preset, at its precision and channels) through the real input pipeline
(`contrastive_dataset` + `xray_views`) on random uint8 images, or on the X-rays of --data, inside
`distribution_scope` (every local device), then times the input pipeline alone; prints one JSON line."""
import argparse, json, os, time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--preset", default="cpu")
p.add_argument("--batch", type=int, default=None)
p.add_argument("--stem", default=None, help="override the preset's stem (small, strided, imagenet)")
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--data", help="train on these X-rays (find_data's layout) instead of random images")
args = p.parse_args()

import keras
from semisuper.augment import xray_views
from semisuper.data import contrastive_dataset
from semisuper.models import no_decay_variables
from semisuper.optim import LARS
from semisuper.runs import preset
from semisuper.simclr import simclr_model
from semisuper.data import find_data, load_xrays
from semisuper.training import distribution_scope, set_precision

cfg = preset(args.preset, **({"stem": args.stem} if args.stem else {}))
batch = args.batch or cfg.pretrain_batch
set_precision(cfg.precision)
if args.data: images = load_xrays(find_data(args.data), size=cfg.size, verbose=False).images
else: images = np.random.default_rng(0).integers(0, 255, (2048, cfg.size, cfg.size, 1), dtype=np.uint8)
if cfg.channels == 3: images = np.repeat(images, 3, axis=-1)  # as the pipeline feeds ImageNet-shaped models
data = contrastive_dataset(images, xray_views(cfg.size), batch_size=batch)


class Timer(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == args.warmup - 1: self.start = time.perf_counter()
    def on_train_end(self, logs=None): self.seconds = time.perf_counter() - self.start


timer = Timer()
with distribution_scope(cfg.devices) as devices:  # every local device, as the pipeline trains
    model = simclr_model(**cfg.model_args())
    model.compile(optimizer=LARS(0.1).exclude(no_decay_variables(model)))
    model.fit(data, epochs=1, steps_per_epoch=args.warmup + args.steps, callbacks=[timer], verbose=0)
fit_views = 2 * batch * args.steps / timer.seconds

it = iter(data)
start = time.perf_counter()
for _ in range(args.steps): next(it)
pipeline_views = 2 * batch * args.steps / (time.perf_counter() - start)
print(json.dumps({"backend": keras.backend.backend(), "preset": args.preset, "batch": batch, "size": cfg.size, "stem": cfg.stem,
                  "precision": cfg.precision, "devices": devices, "images": "real" if args.data else "random",
                  "train_views_per_s": round(fit_views, 1), "pipeline_views_per_s": round(pipeline_views, 1),
                  "threads": os.cpu_count()}))
