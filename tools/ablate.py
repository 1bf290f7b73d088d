"""A recipe chosen on validation only (issue 22, item 2). Each variant is a preset with a few settings changed; it trains
the methods it is about on one protocol, label-subset seeds `SEEDS` (default 0 1), and the published record keeps what
the validation images say (`val_accuracy`, `val_auroc` of the kept model) and what the variant cost (CPU-minutes of its
own steps): every test-split number is dropped before anything is written to results/, so the test split chooses
nothing. One step per `semisuper` call, published after each; a stopped session resumes where it was.

    usage: tools/ablate.py [DATA] [PROTOCOL] [PRESET] [VARIANTS]
           (defaults: ../shared/data/chest_xray official cpu "every variant, in VARIANTS' order")
           tools/ablate.py merge PROTOCOL PRESET WORKTREE...
           (variants run side by side in other worktrees: their finished steps join this checkout's record)
    e.g.   BASE_FROM=runs/cpu-official KERAS_BACKEND=tensorflow nohup python tools/ablate.py > runs/ablate.log 2>&1 &

A variant's steps run in runs/ablation-PROTOCOL/VARIANT; the models it reuses (its settings do not change them) are
copied from the `base` variant's folder instead of trained again. Beside other variants, `base` trains only the methods
they are scored on. BASE_FROM (a run folder of the same preset and protocol, e.g. the comparisons' own) lends the base
variant its Stage 1 and whatever steps it has finished; a copied step that predates validation scores in rows is scored
on the validation images of its manifest. The record: results/ablation-PROTOCOL.json and results/ABLATION.md. Run
folders do not outlive a machine, so publishing adds to the record: a published row stays until a run folder here has
the same step. Every row names its Stage 1 (`pretrained`): a variant that fine-tunes the base's Stage 1 is compared with
`base` on that Stage 1 only, so a record can hold variants measured on different Stage 1s (`choices`).
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DEFAULTS = ("../shared/data/chest_xray", "official", "cpu", "")
KEPT = ("stage", "percent", "subset_seed", "labelled", "val_accuracy", "val_auroc", "val_scored_later", "seconds",
        "cpu_seconds", "resumed", "pretrained", "commit", "backend", "machine")  # a row's fields that say nothing about the test split
STEP = ("variant", "stage", "percent", "subset_seed", "pretrained")  # what names one published step

# name -> (the methods it is scored on, the settings it changes, the models it takes from the base variant)
VARIANTS = {
    "base": (("baseline", "finetune", "distill"), {}, ("pretrain",)),
    "fsl-lr-3e-4": (("baseline",), {"baseline_lr": 3e-4}, ()),
    "fsl-lr-3e-3": (("baseline",), {"baseline_lr": 3e-3}, ()),
    "fsl-epochs-x2": (("baseline",), {"finetune_epochs": 60, "baseline_full_epochs": 30}, ()),
    "fsl-weak-views": (("baseline",), {"finetune_augment": "weak"}, ()),
    "fsl-no-augment": (("baseline",), {"finetune_augment": "none"}, ()),
    "fsl-balance-sampling": (("baseline",), {"balance": "sampling"}, ()),
    "stage2-from-layer-0": (("finetune",), {"from_layer": 0}, ("pretrain",)),
    "stage2-from-layer-2": (("finetune",), {"from_layer": 2}, ("pretrain",)),
    "stage2-epochs-x2": (("finetune",), {"finetune_epochs": 60}, ("pretrain",)),
    "stage2-weak-views": (("finetune",), {"finetune_augment": "weak"}, ("pretrain",)),
    "stage3-epochs-x3": (("distill",), {"distill_epochs": 24}, ("pretrain", "finetune")),
    "stage3-student-x2": (("distill",), {"distill_width": 1.0}, ("pretrain", "finetune")),
    "stage1-best-knn-epoch": (("finetune",), {"pretrain_keep": "best"}, ()),
    "stage1-strong-views": (("finetune",), {"pretrain_crop_area": 0.25, "pretrain_jitter": 0.6}, ()),
    "stage1-light-views": (("finetune",), {"pretrain_crop_area": 0.7, "pretrain_jitter": 0.2}, ()),
    "stage1-epochs-x2": (("finetune",), {"pretrain_epochs": 80, "pretrain_keep": "best"}, ()),
    "size-96": (("baseline", "finetune"), {"size": 96}, ()),
    "size-128": (("baseline", "finetune"), {"size": 128}, ()),
}
PERCENTS = {"baseline": (1, 5, 100), "finetune": (1, 5), "distill": (1, 5)}


def semisuper(*args: str):
    """Run the CLI; a failed step stops the tool with its exit code (run it again to resume). Its output is not shown:
    it ends with the test split's table, which an ablation must not see."""
    proc = subprocess.run(["semisuper", *args], stdout=subprocess.DEVNULL)
    if proc.returncode: sys.exit(proc.returncode)


def copy_step(source: Path, target: Path, why: str):
    "Copy a finished model's folder (hard links where the file system allows) and say where it came from."
    if target.exists() or not source.exists(): return
    shutil.copytree(source, target, copy_function=_link, ignore=shutil.ignore_patterns("backup", "tensorboard", "best.weights.*"))
    (target / "reused").write_text(why + "\n")


def _link(source, target):
    try: os.link(source, target)
    except OSError: shutil.copy2(source, target)


def score_validation(folder: Path, run: Path, data: str, seed: int):
    """Add `val_accuracy` / `val_auroc` to a step trained before rows held them (a copied step of an earlier run):
    its model scored on the validation rows of its manifest."""
    path = folder / "results.json"
    row = json.loads(path.read_text())
    if "val_accuracy" in row: return
    from semisuper.cli import evaluate_model
    manifest = next(run.glob(f"manifests/*-subset{seed}.csv*"))
    scored = evaluate_model(folder / "model.keras", manifest, data, split="val")
    row.update(val_accuracy=scored["accuracy"], val_auroc=scored["auroc"], val_scored_later=True)
    path.write_text(json.dumps(row, indent=2) + "\n")


def validation_rows(run: Path, variant: str, methods) -> list[dict]:
    """The variant's finished steps, test-split numbers dropped; a step on a Stage 1 the variant trained itself carries
    that Stage 1's CPU-seconds (`own_stage1_cpu_seconds`; `own_stage1_resumed` where they count its last invocation
    only), so the cost outlives the run folder."""
    rows, own = [], own_stage1(run)
    for path in sorted(run.glob("*/*pct-subset*/results.json")):
        row = json.loads(path.read_text())
        if row["stage"] in methods and (path.parent / "model.keras").exists():
            rows.append({"variant": variant, **{k: row[k] for k in KEPT if k in row},
                         **(own if row["stage"] != "baseline" else {})})
    return rows


def own_stage1(run: Path) -> dict:
    "The cost of the variant's own Stage 1 (nothing where it was copied from the base variant or lacks it)."
    made = run / "pretrain" / "provenance.json"
    if not made.exists() or (run / "pretrain" / "reused").exists(): return {}  # copied: counted where it was made
    said = json.loads(made.read_text())
    if said.get("cpu_seconds") is None: return {}
    return {"own_stage1_cpu_seconds": said["cpu_seconds"], **({"own_stage1_resumed": True} if said.get("resumed") else {})}


def merged(published: list[dict], made: list[dict]) -> list[dict]:
    "The published rows with this machine's rows added (a step made again replaces its row), in VARIANTS' order."
    here = {tuple(r.get(k) for k in STEP) for r in made}
    rows = [r for r in published if tuple(r.get(k) for k in STEP) not in here] + made
    order = list(VARIANTS)
    return sorted(rows, key=lambda r: order.index(r["variant"]) if r["variant"] in order else len(order))


def ablation_table(rows: list[dict], variants: dict) -> str:
    """Markdown, one section per method: each variant's settings, the Stage 1 it fine-tuned from (a variant measured on
    two gets a line for each), validation accuracy / AUROC (%) at each fraction (mean over seeds, n), and its CPU-minutes
    (the method's steps and, apart, its own Stage 1 or "shared" where it was copied; + where a resumed step or Stage 1
    counts its last invocation only)."""
    sections = []
    for method in ("baseline", "finetune", "distill"):
        mine = [r for r in rows if r["stage"] == method]
        if not mine: continue
        percents = sorted({r["percent"] for r in mine})
        named = method != "baseline"  # the baseline has no Stage 1 to name
        lines = [f"### {method}\n", "| variant | settings | " + "Stage 1 | " * named
                 + " | ".join(f"{p} %: val acc / AUROC" for p in percents) + " | CPU-min (steps) | CPU-min (own Stage 1) |",
                 "|---" * (len(percents) + 4 + named) + "|"]
        for name, stage1 in dict.fromkeys((r["variant"], r.get("pretrained")) for r in mine):
            group = [r for r in mine if r["variant"] == name and r.get("pretrained") == stage1]
            cells = []
            for p in percents:
                cell = [r for r in group if r["percent"] == p]
                cells.append(f"{100 * np.mean([r['val_accuracy'] for r in cell]):.1f} / "
                             f"{100 * np.mean([r['val_auroc'] for r in cell]):.1f} (n={len(cell)})" if cell else "–")
            cpu = [r.get("cpu_seconds") for r in group]
            wall = sum(r["seconds"] for r in group)  # steps of earlier runs kept wall-clock only
            spent = f"{sum(cpu) / 60:.0f}" if all(c is not None for c in cpu) else f"– (wall {wall / 60:.0f})"
            if any(r.get("resumed") for r in group): spent += "+"  # a resumed step: its last invocation
            own = next((r["own_stage1_cpu_seconds"] for r in group if "own_stage1_cpu_seconds" in r), None)
            resumed = "+" * any(r.get("own_stage1_resumed") for r in group)
            settings = ", ".join(f"{k}={v}" for k, v in variants.get(name, ((), {}, ()))[1].items()) or "(preset)"
            stage1_cost = "not needed" if method == "baseline" else "shared" if own is None else f"{own / 60:.0f}{resumed}"
            lines.append(f"| {name} | {settings} | " + f"{stage1 or '–'} | " * named + " | ".join(cells) + f" | {spent} | {stage1_cost} |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


MARGIN = 2.0  # points of mean validation accuracy a variant must be ahead of the preset by to replace its value


def choices(rows: list[dict]) -> list[str]:
    """The rule that turns the table into a recipe, fixed before the numbers: for each method and knob (the settings a
    variant changes), the variant with the best mean validation accuracy over the steps it shares with `base` wins
    when it is ahead of `base` by `MARGIN` points or more; else the preset's value stays. A step is shared when it has
    the same fraction and label subset and, for a variant that fine-tunes the base's Stage 1, the same Stage 1; a
    variant that trains a Stage 1 of its own is compared with the base's mean over every Stage 1 it has for that step
    (each a draw of the preset's Stage 1). A knob whose variants or base have not finished a shared step is not
    decided yet. A row of a variant no longer in `VARIANTS` stays in the table but chooses nothing: its knob is unknown."""
    lines = []
    for method in ("baseline", "finetune", "distill"):
        mine = [r for r in rows if r["stage"] == method]
        knobs = {}
        for name in dict.fromkeys(r["variant"] for r in mine if r["variant"] in VARIANTS and r["variant"] != "base"):
            knobs.setdefault(" + ".join(sorted(VARIANTS[name][1])), []).append(name)
        for knob, names in knobs.items():
            gains = {}
            for name in names:
                own_stage1 = "pretrain" not in VARIANTS[name][2]
                step = lambda r: (r["percent"], r["subset_seed"]) + (() if own_stage1 else (r.get("pretrained"),))
                theirs = {step(r): r["val_accuracy"] for r in mine if r["variant"] == name}
                ours = {}
                for r in mine:
                    if r["variant"] == "base": ours.setdefault(step(r), []).append(r["val_accuracy"])
                shared = sorted(theirs.keys() & ours.keys())
                if shared: gains[name] = 100 * float(np.mean([theirs[k] - np.mean(ours[k]) for k in shared]))
            if not gains:
                lines.append(f"- {method}, {knob}: not decided yet (no step shared with base)")
                continue
            best = max(gains, key=gains.get)
            said = ", ".join(f"{n} {g:+.1f}" for n, g in gains.items())
            verdict = f"**{best}**" if gains[best] >= MARGIN else f"the preset's value (no variant ahead by {MARGIN:.0f} points)"
            lines.append(f"- {method}, {knob}: {verdict} (mean validation accuracy − base on shared steps: {said})")
    return lines


def publish(root: Path, protocol: str, preset: str):
    "Add every variant folder under `root` to results/ablation-PROTOCOL.json and write results/ABLATION.md from it."
    made = [r for name in VARIANTS if (root / name).is_dir() for r in validation_rows(root / name, name, VARIANTS[name][0])]
    out = Path("results")
    out.mkdir(exist_ok=True)
    record = out / f"ablation-{protocol}.json"
    rows = merged(json.loads(record.read_text()) if record.exists() else [], made)
    record.write_text(json.dumps(rows, indent=2) + "\n")
    header = (f"# Ablation on validation: preset `{preset}`, protocol `{protocol}`\n\n"
              "Written by `tools/ablate.py`. Each number is the validation accuracy / AUROC (%) of the kept model, the "
              "mean over label-subset seeds (n); no test-split number is kept. CPU-minutes are the CPU time of all the "
              "process's threads, so a busy machine does not inflate them; a + marks a resumed step or Stage 1, whose "
              "CPU-minutes count its last invocation only. A step keeps its best validation epoch "
              "(`keep_epoch`), so its validation number is a maximum over epochs: it flatters variants with more or noisier "
              "epochs, and with about 520 validation images a gap under two points does not choose a variant. Stage 1 names the "
              "pretraining a step started from (its fingerprint); a variant that reuses the base's Stage 1 is compared with `base` "
              "on the same one, a variant with a Stage 1 of its own with `base`'s mean over its Stage 1s.\n\n")
    rule = ["", "### Chosen by the rule", "", f"Per method and knob, the best variant replaces the preset's value when its mean "
            f"validation accuracy is ahead of `base` by {MARGIN:.0f} points or more on the steps both finished (`choices`):",
            "", *(choices(rows) or ["- nothing to compare yet"])]
    (out / "ABLATION.md").write_text(header + ablation_table(rows, VARIANTS) + "\n" + "\n".join(rule) + "\n")


def merge(protocol: str, preset: str, worktrees: list[str]) -> int:
    """Publish the steps finished in other worktrees' run folders into this checkout's record. Their run folders, not
    their copies of the record: a worktree at an older commit holds rows since replaced here."""
    roots = [Path(tree) / "runs" / f"ablation-{protocol}" for tree in worktrees]
    if missing := [str(r) for r in roots if not r.is_dir()]:
        print(f"no ablation run folder: {' '.join(missing)}", file=sys.stderr)
        return 2
    record = Path("results") / f"ablation-{protocol}.json"
    count = lambda: len(json.loads(record.read_text())) if record.exists() else 0
    for root in roots:
        before = count()
        publish(root, protocol, preset)
        variants = sorted(p.name for p in root.iterdir() if p.name in VARIANTS)
        print(f"{root}: {' '.join(variants)}; the record has {count()} rows ({before} before)")
    return 0


def steps(name: str, seeds: list[int], chosen: list[str]) -> list[tuple[str, int, int]]:
    """A variant's steps (method, label fraction, subset seed), seed by seed; at 100 % one step (every seed labels all).
    Beside other variants, `base` takes only the methods they are scored on: the steps they are compared with."""
    others = {m for n in chosen if n != "base" for m in VARIANTS[n][0]}
    methods = [m for m in VARIANTS[name][0] if name != "base" or not others or m in others]
    return [(m, p, s) for s in seeds for m in methods for p in PERCENTS[m] if p != 100 or s == seeds[0]]


def from_base(base: Path, earlier: str | None, method: str, percent: int | None, seed: int) -> Path:
    "The base variant's model folder, copied first from `earlier` (a run of the same preset and protocol) if it has it."
    where = Path("pretrain") if percent is None else Path(method) / f"{percent}pct-subset{seed}"
    done = ["simclr.keras"] if percent is None else ["model.keras", "results.json"]  # finished, not in progress
    if earlier and all((Path(earlier) / where / f).exists() for f in done):
        copy_step(Path(earlier) / where, base / where, f"copied from {earlier}")
    return base / where


def train(name: str, method: str, percent: int, seed: int, *, run: Path, base: Path, earlier: str | None, where: list[str]):
    "One step of a variant: the models it reuses copied from the base variant, what it needs first, then the step."
    print(f"== {time.strftime('%H:%M', time.gmtime())} {name}: {method}, seed {seed}, {percent} %", flush=True)
    for need in VARIANTS[name][2]:
        source = from_base(base, earlier, need, None if need == "pretrain" else percent, seed)
        if name != "base": copy_step(source, run / source.relative_to(base), "copied from the base variant")
    only = ["--set", f"subset_seeds=[{seed}]", "--percent", str(percent)]
    if method != "baseline": semisuper("pretrain", *where)  # resumed, or skipped when there
    if method == "distill": semisuper("finetune", *where, *only)
    semisuper(method, *where, "--only", method, *only)


def main(argv: list[str]) -> int:
    if argv[:1] == ["merge"]:
        if len(argv) < 4:
            print("usage: tools/ablate.py merge PROTOCOL PRESET WORKTREE...", file=sys.stderr)
            return 2
        return merge(argv[1], argv[2], argv[3:])
    data, protocol, preset_name, chosen = (*argv, *DEFAULTS[len(argv):])
    chosen = chosen.split() or list(VARIANTS)
    if unknown := [v for v in chosen if v not in VARIANTS]:
        print(f"unknown variant {' '.join(unknown)} ({', '.join(VARIANTS)})", file=sys.stderr)
        return 2
    seeds = [int(s) for s in os.environ.get("SEEDS", "0 1").split()]
    root = Path(f"runs/ablation-{protocol}")
    base, earlier = root / "base", os.environ.get("BASE_FROM")
    from_base(base, earlier, "pretrain", None, 0)  # first: making the base's config must not train a Stage 1 of its own
    for name in chosen:
        run = root / name
        sets = [a for k, v in VARIANTS[name][1].items() for a in ("--set", f"{k}={json.dumps(v)}")]
        where = ["--data", data, "--preset", preset_name, "--protocol", protocol, "--out", str(run), *sets]
        for method, percent, seed in steps(name, seeds, chosen):
            folder = run / method / f"{percent}pct-subset{seed}"
            # the base's own steps: this one and, for distillation, its teacher (an earlier run's, when it has them)
            taken = ("finetune", method) if name == "base" and method == "distill" else (method,)
            if name == "base":
                for step in taken: from_base(base, earlier, step, percent, seed)
            if not (folder / "model.keras").exists():
                train(name, method, percent, seed, run=run, base=base, earlier=earlier, where=where)
            if not (run / "config.json").exists(): semisuper("pretrain", *where)  # a copied run: its config and manifests
            for step in taken: score_validation(run / step / folder.name, run, data, seed)
            row = json.loads((folder / "results.json").read_text())
            print(f"   {name}, {method} {percent} % seed {seed}: validation accuracy {100 * row['val_accuracy']:.1f}, "
                  f"AUROC {100 * row['val_auroc']:.1f}", flush=True)
            publish(root, protocol, preset_name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
