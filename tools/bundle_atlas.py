"""Build the atlas of the app's bundled student (out-of-distribution guard, nearest neighbours, 2-D map) from its own
run's split, and record the guard in its model card.

    KERAS_BACKEND=tensorflow python tools/bundle_atlas.py --data ../shared/data/chest_xray

Reads the training and validation X-rays of the split manifest the card names (never the test split), exactly as the
app reads an upload, and writes semisuper/bundled/student.atlas.npz. `tools/bundle_model.py` runs it after bundling."""
import argparse, json, sys, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--data", required=True, help="the data root the student was trained on")
p.add_argument("--model", default=None, help="default: semisuper/bundled/student.keras")
args = p.parse_args()

from semisuper.app import BUNDLED
from semisuper.atlas import atlas_path, build_atlas
from semisuper.data import read_manifest

model_path = Path(args.model or BUNDLED / "student.keras")
card_path = model_path.with_suffix(".json")
card = json.loads(card_path.read_text())
start = time.time()
split = read_manifest(ROOT / card["split_manifest"])
atlas = build_atlas(model_path, args.data, ROOT / card["split_manifest"])
atlas.save(atlas_path(model_path))
card["out_of_distribution"] = {
    "method": "refused when the cosine distance to the 10th nearest training X-ray or the Mahalanobis distance to the "
              "training features (Ledoit-Wolf covariance) is above the validation split's 99.5th percentile, or an "
              "image statistic (brightness, contrast, texture, white area, colour) is outside the training X-rays' range",
    "built_by": "python tools/bundle_atlas.py --data DATA",
    "training_images": int((split["split"] == "train").sum()), "validation_images": int((split["split"] == "val").sum()),
    "limits": {name: [None if not np.isfinite(lo) else round(lo, 5), round(hi, 5)] for name, (lo, hi) in atlas.limits.items()},
}
card_path.write_text(json.dumps(card, indent=2) + "\n")
print(f"{atlas_path(model_path)}: {len(atlas.names):,} training X-rays, {atlas_path(model_path).stat().st_size / 2**20:.1f} MB, "
      f"{time.time() - start:.0f} s", file=sys.stderr)
print(json.dumps(card["out_of_distribution"], indent=1))
