"""Diagnostics in tools/ that are not part of the package."""
import sys

import numpy as np

from conftest import ROOT, run, tail

sys.path.insert(0, str(ROOT / "tools"))
from check_outputs import problems, source_hash  # noqa: E402
from embedding_spread import spread  # noqa: E402


def test_spread_tells_collapsed_from_spread_features():
    rng = np.random.default_rng(0)
    spread_out = rng.normal(size=(256, 32))
    collapsed = 5.0 + 0.05 * rng.normal(size=(256, 1)) * rng.normal(size=(1, 32))  # one shared direction + one axis
    cos_spread, rank_spread = spread(spread_out)
    cos_collapsed, rank_collapsed = spread(collapsed)
    assert abs(cos_spread) < 0.05 and rank_spread > 25, (cos_spread, rank_spread)
    assert cos_collapsed > 0.99 and rank_collapsed < 1.5, (cos_collapsed, rank_collapsed)


def test_check_outputs_finds_stale_outputs_paths_and_warnings(tmp_path):
    import json

    def notebook(source, text, recorded=None):
        cell = {"cell_type": "code", "source": source, "metadata": {"source_hash": recorded or source_hash(source)},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": text}], "execution_count": 1}
        path = tmp_path / "nb.ipynb"
        path.write_text(json.dumps({"cells": [cell, {"cell_type": "markdown", "source": "/tmp/ in prose is fine"}]}))
        return path

    assert problems(notebook("print(1)", "1\n")) == []
    assert "stale" in problems(notebook("print(2)", "1\n", recorded=source_hash("print(1)")))[0]
    assert "machine path ('/tmp/')" in problems(notebook("print(p)", "saved to /tmp/tmpx1/run\n"))[0]
    assert problems(notebook("print(p)", "saved to ../../shared/data and runs/tmp/x\n")) == []
    assert "warning" in problems(notebook("f()", "x.py:3: UserWarning: careful\n"))[0]
    assert "warning" in problems(notebook("f()", "WARNING:tensorflow:5 out of the last 7 calls\n"))[0]


def test_upgrade_classifier_keeps_the_answers(tmp_path):
    "A classifier saved before the `Classifier` task model (a plain functional model) becomes one, same logits."
    script = f"""
import keras, numpy as np
from keras import layers
from semisuper.simclr import simclr_model
from semisuper.models import load_model
keras.utils.set_random_seed(0)
pretrained = simclr_model(width=0.125, image_size=32, head_units=16, output_dim=8)
inputs = keras.Input((32, 32, 1), name="image")  # how `classifier` built it before: layers in one functional graph
x = pretrained.encoder(inputs)
x = layers.ReLU(name="head_relu_1")(pretrained.head.norms[0](pretrained.head.dense[0](x)))
old = keras.Model(inputs, layers.Dense(2, name="logits")(x), name="classifier")
old.save("{tmp_path}/old.keras")
np.save("{tmp_path}/x.npy", np.random.default_rng(0).random((4, 32, 32, 1), dtype=np.float32))
np.save("{tmp_path}/old.npy", keras.ops.convert_to_numpy(old(np.load("{tmp_path}/x.npy"))))
"""
    check = f"""
import keras, numpy as np
from semisuper.models import Classifier, load_model
new = load_model("{tmp_path}/new.keras")
assert isinstance(new, Classifier) and new.backbone.name == "encoder" and [l.name for l in new.neck.layers] == ["dense_1", "bn_1", "head_relu_1"]
assert np.allclose(keras.ops.convert_to_numpy(new(np.load("{tmp_path}/x.npy"))), np.load("{tmp_path}/old.npy"), atol=1e-6)
"""
    env = {"KERAS_BACKEND": "tensorflow"}
    made = run([sys.executable, "-c", script], env=env)
    assert made.returncode == 0, tail(made)
    upgraded = run([sys.executable, "tools/upgrade_classifier.py", f"{tmp_path}/old.keras", f"{tmp_path}/new.keras"], env=env)
    assert upgraded.returncode == 0 and "neck ['dense_1', 'bn_1', 'head_relu_1']" in upgraded.stdout, tail(upgraded)
    checked = run([sys.executable, "-c", check], env=env)
    assert checked.returncode == 0, tail(checked)
    again = run([sys.executable, "tools/upgrade_classifier.py", f"{tmp_path}/new.keras", f"{tmp_path}/newer.keras"], env=env)
    assert again.returncode != 0 and "is a Classifier already" in again.stderr, tail(again)


def test_targets_reads_each_record_against_its_protocol_target(tmp_path):
    "tools/targets.py: met only on a mean of n >= 3 above both thresholds; gaps signed; untraced used only when alone."
    import json
    from targets import official, patient

    def record(name, protocol, rows):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"protocol": protocol}))
        (folder / "results.json").write_text(json.dumps(rows))
        return folder

    step = lambda stage, percent, seed, acc, auroc=None, commit="0a1b2c3": dict(
        stage=stage, percent=percent, subset_seed=seed, accuracy=acc, auroc=auroc, commit=commit)
    made = record("cpu-official", "official", [
        *(step("finetune", 5, s, a, 0.985) for s, a in enumerate((0.91, 0.92, 0.93))),  # mean 92.0, AUROC 98.5
        *(step("distill", 5, s, 0.93, 0.97) for s in range(3)),  # accurate enough, AUROC short
        step("fixmatch_stage1", 5, 0, 0.99, 0.999),  # one seed
        step("baseline", 5, 0, 0.99, 0.999),  # not semi-supervised: never a candidate
        *(step("finetune", 1, s, 0.88) for s in range(3)), step("distill", 1, 0, 0.95, commit=None)])  # untraced: left out
    lines = official(made, 5, 91.6, 98.0)
    assert lines[1] == "  FixMatch from Stage 1: accuracy 99.0 (+7.4), AUROC 99.9 (+1.9), n=1: too few seeds"
    assert lines[2] == "  Stage 3 (distill): accuracy 93.0 (+1.4), AUROC 97.0 (-1.0), n=3: missed"
    assert lines[3] == "  Stage 2 (fine-tune): accuracy 92.0 (+0.4), AUROC 98.5 (+0.5), n=3: MET"
    assert len(lines) == 4
    assert official(made, 1, 89.3, None)[1:] == ["  Stage 2 (fine-tune): accuracy 88.0 (-1.3), n=3: missed"]
    old = record("cpu-patient", "patient", [step("baseline", 100, 0, 0.95, commit=None), step("finetune", 2, 0, 0.94, commit=None),
                                            step("distill", 2, 0, 0.93, commit=None)])
    assert patient(old) == ["cpu-patient (steps without provenance), 2 %, SimCLRv2 family within 1.5 of FSL at 100 % (95.0, n=1):",
                            "  Stage 2 (fine-tune): 94.0 (-1.0), n=1: MET", "  Stage 3 (distill): 93.0 (-2.0), n=1: missed"]
