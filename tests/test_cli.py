"The `semisuper` console script, as a user runs it."
import json

import numpy as np
import pytest
from PIL import Image

from conftest import BIN, run, tail


def semisuper(*args):
    "The console script on the bundled sample (SEMISUPER_DATA unset), as a user runs it from a fresh clone."
    return run([str(BIN / "semisuper"), *map(str, args)], env={"SEMISUPER_DATA": ""})


def test_version():
    proc = semisuper("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("semisuper "), tail(proc)


def test_run_on_bundled_sample(tmp_path):
    "The README's main job: the smoke pipeline on the bundled sample, every stage, and the table."
    proc = semisuper("run", "--out", str(tmp_path / "run"), "--quiet")
    assert proc.returncode == 0, tail(proc)
    assert "460 images" in proc.stdout and "| Stage 3 (distill) |" in proc.stdout
    rows = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {r["stage"] for r in rows} == {"baseline", "finetune", "distill"} and all(r["n"] == 110 for r in rows)
    proc = semisuper("report", str(tmp_path / "run"), "--out", str(tmp_path / "results"))
    assert proc.returncode == 0, tail(proc)
    text = (tmp_path / "results" / "RESULTS.md").read_text()
    distilled = [r for r in rows if r["stage"] == "distill" and r["percent"] == 5][0]
    assert f"| Stage 3 (distill) | 5 % | 98.1 | {100 * distilled['accuracy']:.1f} (n=1) |" in text  # one seed: no std
    assert json.loads((tmp_path / "results" / "run" / "results.json").read_text()) == rows
    assert (tmp_path / "results" / "run" / "manifests" / "remix-split0-subset0.csv.gz").exists()


@pytest.mark.parametrize("method, name, logged", [("fixmatch", "FixMatch", "mask_rate"),
                                                   ("meanteacher", "Mean teacher (S2MTS2)", "consistency_loss"),
                                                   ("reconstruct", "Reconstruction + contrastive", "reconstruction_loss")])
def test_comparison_command(tmp_path, method, name, logged):
    "A comparison method runs into a run folder on its own, on the same splits, and its row lands in the table."
    out = tmp_path / "run"
    proc = semisuper(method, "--out", str(out), "--quiet", "--set", "percents=[5]")
    assert proc.returncode == 0, tail(proc)
    assert f"| {name} |" in proc.stdout and logged in proc.stdout
    rows = json.loads((out / "results.json").read_text())
    assert [(r["stage"], r["percent"]) for r in rows] == [(method, 5)] and rows[0]["n"] == 110
    assert (out / method / "5pct-subset0" / "model.keras").exists()
    assert (out / "manifests" / "remix-split0-subset0.csv").exists()
    proc = semisuper("report", str(out), "--out", str(tmp_path / "results"), "--no-embeddings")
    assert proc.returncode == 0, tail(proc)
    assert f"| {name} | {100 * rows[0]['accuracy']:.1f} [" in (tmp_path / "results" / "RESULTS.md").read_text()  # its interval
    proc = semisuper("compare", str(out), "--out", str(tmp_path / "results"))
    assert proc.returncode == 0, tail(proc)
    comparison = (tmp_path / "results" / "COMPARISON.md").read_text()
    assert f"| {name} | – | – | {100 * rows[0]['accuracy']:.1f} [" in comparison and f"semisuper {method} " in comparison


def test_active_command(tmp_path):
    "Active learning needs Stage 1; from the 1 % subset it labels up to the budget, revealing only what it selected."
    out = tmp_path / "run"
    assert semisuper("pretrain", "--out", str(out), "--quiet").returncode == 0
    proc = semisuper("active", "--out", str(out), "--quiet", "--set", 'al_strategies=["random","kcenter"]')
    assert proc.returncode == 0, tail(proc)
    assert "| Active: random (control) |" in proc.stdout and "| Active: k-center |" in proc.stdout
    rows = {r["stage"]: r for r in json.loads((out / "results.json").read_text())}
    assert set(rows) == {"active_random", "active_kcenter"}
    for stage, r in rows.items():
        assert r["percent"] == 5 and r["labelled"] == r["revealed"] == round(0.05 * 315)
        assert len(json.loads((out / stage / "5pct-subset0" / "labelled.json").read_text())) == r["labelled"]


def test_fixmatch_from_stage1_command(tmp_path):
    "FixMatch fine-tuned from the run's Stage 1, then distilled: one command, two rows that name the Stage 1 they grew from."
    out = tmp_path / "run"
    proc = semisuper("fixmatch_stage1", "--out", str(out), "--quiet", "--set", "percents=[5]")
    assert proc.returncode != 0 and "semisuper pretrain" in proc.stdout + proc.stderr, tail(proc)  # Stage 1 first
    assert semisuper("pretrain", "--out", str(out), "--quiet").returncode == 0
    proc = semisuper("fixmatch_stage1", "--out", str(out), "--quiet", "--set", "percents=[5]")
    assert proc.returncode == 0, tail(proc)
    assert "| FixMatch from Stage 1 |" in proc.stdout and "| Stage 3 from FixMatch (Stage 1) |" in proc.stdout
    rows = {r["stage"]: r for r in json.loads((out / "results.json").read_text())}
    assert set(rows) == {"fixmatch_stage1", "fixmatch_stage1_distill"} and all(r["percent"] == 5 for r in rows.values())
    assert rows["fixmatch_stage1"]["pretrained"] == rows["fixmatch_stage1_distill"]["pretrained"] is not None
    assert (out / "fixmatch_stage1" / "5pct-subset0" / "log.csv").read_text().startswith("epoch")


def test_prepare_on_bundled_sample(tmp_path):
    proc = semisuper("prepare", "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, tail(proc)
    assert "460 images" in proc.stdout and "patient" in proc.stdout
    for name in ("augmentations.png", "reconstruction.png"):
        img = np.asarray(Image.open(tmp_path / "run" / name).convert("L"), dtype=np.float32)
        assert img.shape[0] > 300 and img.std() > 20  # a real figure, not an empty canvas
    for protocol in ("official", "remix", "patient"):
        assert len((tmp_path / "run" / "manifests" / f"{protocol}-seed0-subset0.csv").read_text().splitlines()) == 461


def test_manifests_are_reproducible(tmp_path):
    for name in ("a", "b"):
        proc = semisuper("prepare", "--no-figures", "--seed", "3", "--out", str(tmp_path / name))
        assert proc.returncode == 0, tail(proc)
    for protocol in ("official", "remix", "patient"):
        a, b = (tmp_path / r / "manifests" / f"{protocol}-seed3-subset0.csv" for r in "ab")
        assert a.read_bytes() == b.read_bytes()


def test_bad_arguments_are_refused(tmp_path):
    proc = semisuper("prepare", "--size", "2", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "image size must be between" in proc.stderr
    proc = semisuper("run", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "data folder not found" in proc.stderr and not (tmp_path / "run").exists()
    proc = semisuper("run", "--set", "balance=random", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "balance must be one of" in proc.stderr and not (tmp_path / "run").exists()
    for setting, says in (("pretrain_keep=sometimes", "pretrain_keep must be one of"), ("pretrain_crop_area=0", "pretrain_crop_area must be in"),
                          ("distill_width=-1", "distill_width must be >= 0")):
        proc = semisuper("run", "--set", setting, "--out", str(tmp_path / "run"))
        assert proc.returncode == 2 and says in proc.stderr and not (tmp_path / "run").exists(), tail(proc)
    proc = semisuper("report", str(tmp_path / "missing"), "--out", str(tmp_path / "results"))
    assert proc.returncode == 2 and "is not a run folder" in proc.stderr
    proc = semisuper("serve", "--port", "70000")
    assert proc.returncode == 2 and "ports are 1-65535" in proc.stderr
    proc = semisuper("serve", "--model", str(tmp_path / "missing.keras"))
    assert proc.returncode == 2 and "model not found" in proc.stderr


def test_atlas_command(tmp_path):
    "`semisuper atlas` builds a model's atlas from its split manifest; `serve --model` would find it beside the model."
    import keras
    from semisuper.atlas import Atlas, atlas_path
    from semisuper.data import read_manifest
    from semisuper.finetune import baseline_classifier
    keras.utils.set_random_seed(0)
    model = tmp_path / "model.keras"
    keras.saving.save_model(baseline_classifier(depth=18, width=0.125, image_size=32, stem="small"), model)
    proc = semisuper("prepare", "--no-figures", "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, tail(proc)
    manifest = tmp_path / "run" / "manifests" / "patient-seed0-subset0.csv"
    proc = semisuper("atlas", model, manifest)
    assert proc.returncode == 0 and f"wrote {atlas_path(model)}" in proc.stdout, tail(proc)
    split = read_manifest(manifest)
    assert sorted(Atlas.load(atlas_path(model)).names) == sorted(split["path"][split["split"] == "train"])
    proc = semisuper("atlas", tmp_path / "missing.keras", manifest)
    assert proc.returncode == 2 and "missing.keras" in proc.stderr, tail(proc)
    proc = semisuper("atlas", model, tmp_path / "run" / "manifests")
    assert proc.returncode == 2 and "is a folder, not a manifest" in proc.stderr, tail(proc)
