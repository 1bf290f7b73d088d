"""Package a trained student as the app's bundled model: the `.keras` file, its model card and example X-rays.

    KERAS_BACKEND=tensorflow python tools/bundle_model.py --run runs/cpu-patient --step distill/5pct-subset0 \
        --other-run runs/cpu-remix --data ../shared/data/chest_xray

Writes semisuper/bundled/{student.keras, student.json, examples/*.jpeg, README.md}. The temperature is fitted on
the run's validation split; the examples are test-split images of that run (never seen in training)."""
import argparse, json, shutil, sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--run", required=True, help="run folder whose model is bundled")
p.add_argument("--step", default="distill/5pct-subset0", help="step folder inside the run")
p.add_argument("--other-run", help="a run of the same recipe on the other protocol, whose test row goes in the card")
p.add_argument("--data", help="data root (default: the run's)")
p.add_argument("--examples", type=int, default=2, help="examples per class")
p.add_argument("--max-mb", type=float, default=12.0)
args = p.parse_args()

import keras
from semisuper.app import BUNDLED, fit_temperature
from semisuper.data import CLASSES, load_xrays, make_split
from semisuper.explain import read_upload
from semisuper.report import reproduce_command
from semisuper.training import binary_report

run, step = Path(args.run), Path(args.run) / args.step
config, row = json.loads((run / "config.json").read_text()), json.loads((step / "results.json").read_text())
model_file = step / "model.keras"
if model_file.stat().st_size > args.max_mb * 2**20: sys.exit(f"{model_file} is over {args.max_mb} MB")
model = keras.saving.load_model(model_file, safe_mode=True)
xrays = load_xrays(args.data or config["data"], size=config["size"])
split = make_split(xrays, config["protocol"], seed=config["split_seed"])


def logits(where):
    return keras.ops.convert_to_numpy(model.predict(xrays.images[where].astype("float32") / 255.0, batch_size=256, verbose=0))


def ece(probabilities, labels, bins=10):
    "Expected calibration error of the predicted class's probability (equal-width bins)."
    confidence, predicted = probabilities.max(1), probabilities.argmax(1)
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    return float(sum(abs(np.mean(predicted[which == b] == labels[which == b]) - confidence[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def softmax(z):
    z = z - z.max(1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(1, keepdims=True)


val, test = split == "val", split == "test"
temperature = fit_temperature(logits(val), xrays.label[val])
test_logits, test_labels = logits(test), xrays.label[test].astype(int)
check = binary_report(test_labels, softmax(test_logits)[:, 1])
assert abs(check["accuracy"] - row["accuracy"]) < 1e-6, (check["accuracy"], row["accuracy"])  # the run's own number
other = None
if args.other_run:
    other_row = json.loads((Path(args.other_run) / args.step / "results.json").read_text())
    other_config = json.loads((Path(args.other_run) / "config.json").read_text())
    other = {"protocol": other_row["protocol"], "note": "the same recipe trained and tested on that protocol's split "
             "(a different model: this one was never tested there, its training images overlap that test split)",
             "command": reproduce_command(other_config, args.other_run),
             **{k: other_row[k] for k in ("n", "accuracy", "auroc", "sensitivity", "specificity", "f1", "confusion")}}
metrics = {k: row[k] for k in ("n", "accuracy", "auroc", "sensitivity", "specificity", "f1", "confusion")}
card = {
    "name": f"semisuper {config['preset']} student ({row['stage']}, {row['percent']} % labels)",
    "version": config["version"],
    "architecture": f"ResNet-{config['depth']} x{config['width']} ({config['stem']} stem), {config['size']} px, "
                    f"{config['channels']} channel, {model.count_params():,} parameters",
    "trained_by": reproduce_command(config, args.run),
    "step": args.step,
    "data": "Kermany et al. 2018 pediatric chest X-rays (CC BY 4.0), 5,840 images, Guangzhou Women and Children's "
            "Medical Center, children aged 1-5",
    "protocol": config["protocol"],
    "split_manifest": f"results/{run.name}/manifests/{config['protocol']}-split{config['split_seed']}-subset{row['subset_seed']}.csv.gz",
    "labels_used": f"{row['labelled']} labelled training images ({row['percent']} %), subset seed {row['subset_seed']}",
    "test": {"protocol": config["protocol"], **metrics},
    "other_protocol": other,
    "temperature": round(temperature, 4),
    "calibration": {"fitted_on": f"validation split ({int(val.sum())} images)",
                    "test_ece_before": round(ece(softmax(test_logits), test_labels), 4),
                    "test_ece_after": round(ece(softmax(test_logits / temperature), test_labels), 4)},
    "intended_use": "Research and teaching demo of semi-supervised learning on chest X-rays.",
    "limits": ["Not a medical device; not for diagnosis or triage.",
               "Trained on pediatric anterior-posterior X-rays from one hospital; adults, other views and other "
               "hospitals' scanners are outside what it has seen.",
               f"Sees a {config['size']} px downscale: fine findings are invisible to it.",
               "Grad-CAM shows where the evidence lies at a coarse resolution, not why."],
}
BUNDLED.mkdir(exist_ok=True)
shutil.copy(model_file, BUNDLED / "student.keras")
(BUNDLED / "student.json").write_text(json.dumps(card, indent=2) + "\n")
examples = BUNDLED / "examples"
shutil.rmtree(examples, ignore_errors=True)
examples.mkdir()
rng = np.random.default_rng(0)
chosen = []
predicted = np.zeros(len(xrays), int)
predicted[test] = test_logits.argmax(1)
for c, name in enumerate(CLASSES):  # per class: `--examples` the model gets right and one it gets wrong, at random
    right, wrong = (np.flatnonzero(test & (xrays.label == c) & ((predicted == c) == ok)) for ok in (True, False))
    picks = list(rng.choice(right, args.examples, replace=False)) + (list(rng.choice(wrong, 1)) if len(wrong) else [])
    for k, i in enumerate(picks):
        target = examples / f"{name.lower()}-{k + 1}.jpeg"
        data = (xrays.root / xrays.path[i]).read_bytes()
        target.write_bytes(data)  # content only: the data folder is read-only
        says = int(np.argmax(model.predict(read_upload(data, config["size"])[None], verbose=0)[0]))  # the app's path
        chosen.append((target.name, xrays.path[i], name, CLASSES[says]))
(BUNDLED / "README.md").write_text(
    "# Bundled model and examples\n\n`student.keras` is the classifier `semisuper serve` uses by default; "
    "`student.json` is its model card (how it was trained, test metrics, calibration, intended use, limits). Made by "
    f"`python tools/bundle_model.py --run {args.run} --step {args.step}" + (f" --other-run {args.other_run}" if args.other_run else "")
    + "`.\n\nThe example X-rays are test-split images of that run (never used to train it): per class, "
    f"{args.examples} that the model classifies correctly and one it gets wrong, drawn at random (seed 0), so the "
    "app shows both kinds. They are copied unchanged from "
    "the Kaggle release of Kermany et al., \"Identifying Medical Diagnoses and Treatable Diseases by Image-Based "
    "Deep Learning\", *Cell* 172(5), 2018, doi:10.1016/j.cell.2018.02.010; data licence CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/).\n\n| example | original file | truth | model says |\n|---|---|---|---|\n"
    + "".join(f"| {a} | {b} | {t} | {m} |\n" for a, b, t, m in chosen))
print(json.dumps(card, indent=2))
# the out-of-distribution guard and the map for the new student, from the same split (writes its own card section)
import subprocess
subprocess.run([sys.executable, str(ROOT / "tools" / "bundle_atlas.py"), "--data", str(args.data or config["data"])], check=True)
