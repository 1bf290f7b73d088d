"""tools/ablate.py with `semisuper` replaced by a stub that makes finished steps: which steps each variant trains, which
models it copies instead, that the published record keeps validation numbers and costs, never test numbers, and that
publishing adds to the record, comparing a variant with the base on its own Stage 1."""
import json
import os
import stat
import sys

from conftest import ROOT, run, tail

STUB = r'''#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["SEMISUPER_STUB_LOG"], "a") as f: print(" ".join(args), file=f)
value = lambda flag: args[args.index(flag) + 1] if flag in args else None
out = Path(value("--out"))
(out / "manifests").mkdir(parents=True, exist_ok=True)
(out / "config.json").write_text("{}")
if args[0] == "pretrain" and not (out / "pretrain" / "simclr.keras").exists():
    (out / "pretrain").mkdir(parents=True)
    (out / "pretrain" / "simclr.keras").write_text("stage 1")
    (out / "pretrain" / "provenance.json").write_text(json.dumps({"seconds": 60.0, "cpu_seconds": 120.0}))
method = value("--only") or args[0]
seed = int([a for a in args if a.startswith("subset_seeds=[")][-1].split("[")[1][:-1]) if "--percent" in args else None
step = out / method / f"{value('--percent')}pct-subset{seed}"
if "--percent" in args and not (step / "model.keras").exists():  # like the CLI: a finished step is not trained again
    step.mkdir(parents=True)
    (step / "model.keras").write_text("model")
    row = {"stage": method, "percent": int(value("--percent")), "subset_seed": seed, "labelled": 9,
           "accuracy": 0.123, "auroc": 0.456, "sensitivity": 0.1, "confusion": [[1, 2], [3, 4]],
           "val_accuracy": 0.8, "val_auroc": 0.9, "seconds": 30.0, "cpu_seconds": 60.0}
    if method != "baseline": row["pretrained"] = (out / "pretrain" / "simclr.keras").read_text()  # its Stage 1's name
    (step / "results.json").write_text(json.dumps(row))
    with open(os.environ["SEMISUPER_STUB_LOG"], "a") as f: print("made", step, file=f)
print("| FSL (supervised) | 12.3 (n=1) |")  # the CLI ends with the test split's table
'''


def _ablate(tmp_path, *variants, env=None):
    (tmp_path / "bin").mkdir(exist_ok=True)
    stub = tmp_path / "bin" / "semisuper"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.log"
    proc = run([sys.executable, str(ROOT / "tools/ablate.py"), "DATA", "official", "cpu", " ".join(variants)], cwd=tmp_path,
               env={"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "SEMISUPER_STUB_LOG": str(log),
                    "SEEDS": "0", **(env or {})})
    assert proc.returncode == 0, tail(proc)
    return proc, log.read_text().splitlines()


def made(calls: list[str]) -> list[str]:
    "The steps the stub trained, in order."
    return [c.split(" ", 1)[1].split("ablation-official/")[1] for c in calls if c.startswith("made ")]


def test_ablation_copies_unchanged_models_and_publishes_no_test_number(tmp_path):
    earlier = tmp_path / "runs" / "cpu-official"  # the comparisons' run: Stage 1, FSL and Stage 2 at 1 % finished
    for folder, file in (("pretrain", "simclr.keras"), ("finetune/1pct-subset0", "model.keras"), ("baseline/1pct-subset0", "model.keras")):
        (earlier / folder).mkdir(parents=True)
        (earlier / folder / file).write_text("earlier")
    for method in ("finetune", "baseline"):  # the first step copied: the base's config comes from `pretrain`, which must not train
        (earlier / method / "1pct-subset0/results.json").write_text(json.dumps(
            {"stage": method, "percent": 1, "subset_seed": 0, "accuracy": 0.5, "val_accuracy": 0.7, "val_auroc": 0.75,
             "seconds": 80.0, **({"pretrained": "earlier"} if method == "finetune" else {})}))
    proc, calls = _ablate(tmp_path, "base", "stage3-student-x2", env={"BASE_FROM": "runs/cpu-official"})
    assert made(calls) == [  # beside a Stage 3 variant the base trains Stage 3 only (and the teachers it lacks)
        "base/distill/1pct-subset0",  # its teacher, Stage 2 at 1 %, came from BASE_FROM
        "base/finetune/5pct-subset0", "base/distill/5pct-subset0",
        "stage3-student-x2/distill/1pct-subset0", "stage3-student-x2/distill/5pct-subset0"], calls
    assert sum("--set distill_width=1.0 --only distill" in c for c in calls) == 2
    base, wide = tmp_path / "runs/ablation-official/base", tmp_path / "runs/ablation-official/stage3-student-x2"
    assert (base / "pretrain/simclr.keras").read_text() == "earlier" and (base / "pretrain/reused").exists()
    assert (wide / "finetune/5pct-subset0/reused").exists()  # the base's Stage 2, not trained again
    rows = json.loads((tmp_path / "results/ablation-official.json").read_text())
    assert len(rows) == 6 and not any(k in r for r in rows for k in ("accuracy", "auroc", "sensitivity", "confusion"))
    table = (tmp_path / "results/ABLATION.md").read_text()
    assert "12.3" not in table and "45.6" not in table  # the stub's test numbers
    assert "12.3" not in proc.stdout and "validation accuracy 80.0, AUROC 90.0" in proc.stdout
    assert "| stage3-student-x2 | distill_width=1.0 | earlier | 80.0 / 90.0 (n=1) | 80.0 / 90.0 (n=1) | 2 | shared |" in table, table
    assert "| base | (preset) | earlier | 70.0 / 75.0 (n=1) | 80.0 / 90.0 (n=1) | – (wall 2) | shared |" in table, table
    assert "### baseline" not in table
    again, calls_again = _ablate(tmp_path, "base", "stage3-student-x2")
    assert not made(calls_again[len(calls):])  # finished steps are not trained twice


def test_publishing_adds_to_the_record_and_compares_on_one_stage1(tmp_path):
    """Run folders do not outlive a machine: rows published from earlier folders stay, and a Stage 3 variant measured
    on an older Stage 1 is compared with the base on that Stage 1, not with the base's new one."""
    row = lambda variant, stage, acc, stage1=None: dict(
        variant=variant, stage=stage, percent=1, subset_seed=0, val_accuracy=acc, val_auroc=0.5, seconds=60.0,
        cpu_seconds=60.0, **({"pretrained": stage1} if stage1 else {}))
    published = [row("base", "distill", 0.90, "old"), row("fsl-lr-3e-3", "baseline", 0.70),
                 row("stage3-epochs-x3", "distill", 0.99, "old")]
    (tmp_path / "results").mkdir()
    (tmp_path / "results/ablation-official.json").write_text(json.dumps(published))
    _ablate(tmp_path, "base", "stage3-student-x2")  # no BASE_FROM: the base trains a Stage 1 of its own ("stage 1")
    rows = json.loads((tmp_path / "results/ablation-official.json").read_text())
    assert all(r in rows for r in published) and len(rows) == 3 + 6, rows
    table = (tmp_path / "results/ABLATION.md").read_text()
    assert "| base | (preset) | old | 90.0 / 50.0 (n=1) | – | 1 | shared |" in table, table
    assert "| base | (preset) | stage 1 | 80.0 / 90.0 (n=1) | 80.0 / 90.0 (n=1) | 2 | 2 |" in table, table
    assert "| fsl-lr-3e-3 | baseline_lr=0.003 | 70.0 / 50.0 (n=1) | 1 | not needed |" in table, table
    assert ("- distill, distill_epochs: **stage3-epochs-x3** (mean validation accuracy − base on shared steps: "
            "stage3-epochs-x3 +9.0)") in table, table
    assert ("- distill, distill_width: the preset's value (no variant ahead by 2 points) (mean validation accuracy − base "
            "on shared steps: stage3-student-x2 +0.0)") in table, table
    made = tmp_path / "runs/ablation-official/base/pretrain/provenance.json"  # its Stage 1 stopped once and resumed
    made.write_text(json.dumps({**json.loads(made.read_text()), "resumed": True}))
    _ablate(tmp_path, "base", "stage3-student-x2")
    table = (tmp_path / "results/ABLATION.md").read_text()
    assert "| base | (preset) | stage 1 | 80.0 / 90.0 (n=1) | 80.0 / 90.0 (n=1) | 2 | 2+ |" in table, table


def test_choices_follow_the_fixed_rule():
    sys.path.insert(0, str(ROOT / "tools"))
    from ablate import choices
    row = lambda variant, percent, seed, acc: dict(variant=variant, stage="baseline", percent=percent, subset_seed=seed, val_accuracy=acc)
    rows = [row("base", 1, 0, 0.80), row("base", 5, 0, 0.85),
            row("fsl-lr-3e-3", 1, 0, 0.84), row("fsl-lr-3e-3", 5, 0, 0.87), row("fsl-lr-3e-3", 1, 1, 0.50),  # seed 1: base has none
            row("fsl-lr-3e-4", 1, 0, 0.81), row("fsl-weak-views", 1, 0, 0.81), row("fsl-no-augment", 1, 1, 0.99),
            row("retired-variant", 1, 0, 0.99)]  # published once, since removed from VARIANTS: it chooses nothing
    said = choices(rows)
    assert said[0] == ("- baseline, baseline_lr: **fsl-lr-3e-3** (mean validation accuracy − base on shared steps: "
                       "fsl-lr-3e-3 +3.0, fsl-lr-3e-4 +1.0)"), said
    assert said[1].startswith("- baseline, finetune_augment: the preset's value (no variant ahead by 2 points)"), said
    assert len(said) == 2  # fsl-no-augment shares no step with base: it only joins once it does
    tuned = lambda variant, stage1, acc: dict(row(variant, 1, 0, acc), stage="finetune", pretrained=stage1)
    said = choices([tuned("base", "old", 0.80), tuned("base", "new", 0.84), tuned("stage2-weak-views", "new", 0.85),
                    tuned("stage1-strong-views", "own", 0.85)])
    assert said == [  # on the base's Stage 1: against that Stage 1's base; with its own: against the base's mean (0.82)
        "- finetune, finetune_augment: the preset's value (no variant ahead by 2 points) (mean validation accuracy − base "
        "on shared steps: stage2-weak-views +1.0)",
        "- finetune, pretrain_crop_area + pretrain_jitter: **stage1-strong-views** (mean validation accuracy − base on "
        "shared steps: stage1-strong-views +3.0)"], said


def test_ablation_refuses_unknown_variants(tmp_path):
    proc = run([sys.executable, str(ROOT / "tools/ablate.py"), "DATA", "official", "cpu", "base nosuch"], cwd=tmp_path)
    assert proc.returncode == 2 and "unknown variant nosuch" in proc.stderr


def test_merge_publishes_the_steps_of_other_worktrees(tmp_path):
    """Variants run side by side in worktrees at an older commit: `merge` adds their finished steps from their run
    folders, and a worktree's stale copy of the record does not bring back rows replaced here."""
    trees = [tmp_path / "tree-a", tmp_path / "tree-b"]
    for tree, variant in zip(trees, ("fsl-lr-3e-3", "fsl-weak-views")):
        tree.mkdir()
        _ablate(tree, variant)
    stale = dict(variant="fsl-lr-3e-4", stage="baseline", percent=1, subset_seed=0, val_accuracy=0.1, val_auroc=0.5,
                 seconds=60.0)
    (trees[0] / "results/ablation-official.json").write_text(json.dumps([stale]))
    here = tmp_path / "main"
    (here / "results").mkdir(parents=True)
    (here / "results/ablation-official.json").write_text(json.dumps([dict(stale, val_accuracy=0.7), dict(
        stale, variant="base", val_accuracy=0.6)]))
    proc = run([sys.executable, str(ROOT / "tools/ablate.py"), "merge", "official", "cpu", *map(str, trees)], cwd=here)
    assert proc.returncode == 0, tail(proc)
    assert "fsl-weak-views; the record has 8 rows (5 before)" in proc.stdout, proc.stdout
    rows = json.loads((here / "results/ablation-official.json").read_text())
    assert sorted((r["variant"], r["percent"]) for r in rows) == sorted([("base", 1), ("fsl-lr-3e-4", 1)] + [
        (v, p) for v in ("fsl-lr-3e-3", "fsl-weak-views") for p in (1, 5, 100)]), rows
    assert next(r for r in rows if r["variant"] == "fsl-lr-3e-4")["val_accuracy"] == 0.7  # not the worktree's stale 0.1
    assert "- baseline, baseline_lr: **fsl-lr-3e-3** (mean validation accuracy − base on shared steps: fsl-lr-3e-4 +10.0, " \
           "fsl-lr-3e-3 +20.0)" in (here / "results/ABLATION.md").read_text()
    bad = run([sys.executable, str(ROOT / "tools/ablate.py"), "merge", "official", "cpu", str(tmp_path / "nowhere")], cwd=here)
    assert bad.returncode == 2 and "no ablation run folder" in bad.stderr
