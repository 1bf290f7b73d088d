"The `semisuper` console script, as a user runs it."
import json
import re
import subprocess
import sys

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


HELP_LOADS = """
import sys
from semisuper.cli import parser
commands = list(parser()._subparsers._group_actions[0].choices)
for argv in (["--help"], ["--version"], *([c, "--help"] for c in commands)):
    try: parser().parse_args(argv)
    except SystemExit: pass
print(len(commands), sorted({"keras", "tensorflow", "jax", "matplotlib", "sklearn"} & set(sys.modules)))
"""


def test_help_loads_no_framework():
    "`--help`, `--version` and every command's `--help` answer without loading Keras or TensorFlow (bench/cli_startup.py times them)."
    proc = subprocess.run([sys.executable, "-c", HELP_LOADS], capture_output=True, text=True)
    count, loaded = proc.stdout.splitlines()[-1].split(" ", 1)  # the last line, after the help texts
    assert proc.returncode == 0 and loaded == "[]" and int(count) >= 17, tail(proc)


def test_every_command_says_what_it_does():
    proc = semisuper("--help")
    assert proc.returncode == 0, tail(proc)
    block = proc.stdout.split("COMMAND\n", 1)[1].split("\noptions:", 1)[0]
    entries = re.split(r"\n    (?=\w)", "\n" + block)  # an entry starts at its command's indent; wrapped lines go deeper
    described = {e.split()[0]: " ".join(e.split()[1:]) for e in entries if e.strip()}
    assert len(described) >= 17 and all(len(text.split()) >= 5 for text in described.values()), described
    for command in described:  # no description just repeats its command's name
        assert described[command].lower().strip(". ") not in (command, f"the {command} stage")
    for command in ("run", "prepare", "evaluate", "atlas", "config"):  # one data rule, said in each
        assert "$SEMISUPER_DATA, else the bundled" in " ".join(semisuper(command, "--help").stdout.split())


def test_config_lists_every_setting(tmp_path):
    from semisuper.runs import Config
    proc = semisuper("config", "--set", "width=0.75")
    assert proc.returncode == 0, tail(proc)
    lines = {l.split()[0]: l.split(None, 2)[1:] for l in proc.stdout.splitlines()[2:] if l.strip()}
    assert set(lines) == set(Config.meanings()) and lines["preset"][0] == '"demo"' and lines["width"][0] == "0.75"
    assert lines["from_layer"][1] == Config.meanings()["from_layer"]
    proc = semisuper("config", "--preset", "cpu", "--json")
    (tmp_path / "cpu.json").write_text(proc.stdout)  # a --config file that remakes the same settings
    assert semisuper("config", "--config", tmp_path / "cpu.json", "--json").stdout == proc.stdout
    proc = semisuper("config", "--set", "width=-1")
    assert proc.returncode == 2 and "width must be positive" in proc.stderr


def interval(stdout: str, label: str, column: int) -> tuple[float, float]:
    "The 95 % interval printed in a results table's row `label`, label-fraction column `column` (0: the first)."
    row = next(l for l in stdout.splitlines() if l.startswith(f"| {label} |"))
    low, high = re.search(r"\[([\d.]+), ([\d.]+)\]", row.split("|")[2 + column]).groups()
    return float(low), float(high)


def test_run_on_bundled_sample(tmp_path):
    "The README's main job: the demo pipeline on the bundled sample, quiet, and a table that shows learning."
    proc = semisuper("run", "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, tail(proc)
    assert "460 images" in proc.stdout and "| Stage 3 (distill) |" in proc.stdout
    assert "step 1 of 5: Stage 1 (SimCLR)" in proc.stdout and "step 5 of 5: Stage 3 (distill), 5 % labels" in proc.stdout
    for noise in ("I0000", "W0000", "E0000", "PredictCost", "absl", "retracing", "Warning", "\x1b["):  # quiet, plain text
        assert noise not in proc.stdout + proc.stderr, noise
    rows = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {r["stage"] for r in rows} == {"baseline", "finetune", "distill"} and all(r["n"] == 110 for r in rows)
    (tn, fp), (fn, tp) = rows[0]["confusion"]
    majority = 100 * max(tn + fp, fn + tp) / 110
    assert f"always answering the majority class scores {majority:.1f} %" in proc.stdout and "demo-scale" in proc.stdout
    for label, column in (("Stage 2 (fine-tune)", 0), ("Stage 3 (distill)", 0), ("FSL (supervised)", 1)):  # 5 %; 100 %
        assert interval(proc.stdout, label, column)[0] > majority, (label, proc.stdout)  # learning, beyond the interval
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
    proc = semisuper(method, "--out", str(out), "--preset", "smoke", "--set", "percents=[5]")
    assert proc.returncode == 0, tail(proc)
    assert f"| {name} |" in proc.stdout and any(logged in log.read_text() for log in (out / method).rglob("log.csv"))
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
    assert semisuper("pretrain", "--out", str(out), "--preset", "smoke").returncode == 0
    proc = semisuper("active", "--out", str(out), "--preset", "smoke", "--set", 'al_strategies=["random","kcenter"]')
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
    proc = semisuper("fixmatch_stage1", "--out", str(out), "--preset", "smoke", "--set", "percents=[5]")
    assert proc.returncode != 0 and "semisuper pretrain" in proc.stdout + proc.stderr, tail(proc)  # Stage 1 first
    assert semisuper("pretrain", "--out", str(out), "--preset", "smoke").returncode == 0
    proc = semisuper("fixmatch_stage1", "--out", str(out), "--preset", "smoke", "--set", "percents=[5]")
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
