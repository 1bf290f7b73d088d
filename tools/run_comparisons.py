"""Every comparison of results/COMPARISON.md on the full data, one step (method, protocol, subset seed, label fraction)
per invocation, published into results/ after each, so a working session that stops loses at most the step in progress
(which resumes from its last finished epoch). Published steps are skipped, so run it again to go on; commit results/
whenever a step has been published. Which steps a command has, and what it needs first, comes from the method registry
(`semisuper.methods`): a method registered there is run here with nothing else to edit.

    usage: tools/run_comparisons.sh [DATA] [PRESET] [COMMANDS] [PROTOCOLS]
           (defaults: ../shared/data/chest_xray cpu "fixmatch meanteacher reconstruct active" "remix patient")
           tools/run_comparisons.sh merge PRESET WORKTREE...
           (runners in other worktrees: their run folders runs/PRESET-* join this checkout's records)
    e.g.   KERAS_BACKEND=tensorflow nohup tools/run_comparisons.sh > runs/comparisons.log 2>&1 &

Records are named PRESET-PROTOCOL[-SETTINGS]; a preset's steps, run folders and merges are its own (cpu's are not
cpu-plus's), and the pages (RESULTS.md, COMPARISON.md) hold every preset's published records, whichever preset's runner
publishes.

ACTIVE_STRATEGIES picks active learning's strategies (default all five); with two classes margin ranks as entropy
does (nbs/12_active asserts it), so ACTIVE_STRATEGIES="random entropy augvar kcenter" skips a repeated row.

SETTINGS="field=value ..." runs every step with those settings changed, in a record of its own named by the values:
SETTINGS="keep_epoch=last" runs into runs/cpu-official-last and publishes results/cpu-official-last, beside the
preset's own record (the report pairs the two); settings that only pick steps do not name the record, so
SETTINGS="split_seed=1 subset_seeds=[0]" runs label-subset seed 0 only, into cpu-patient-1. A pretraining the settings leave unchanged can be copied into the new
run folder first (`cp -al runs/cpu-official/pretrain runs/cpu-official-last/`) instead of trained again.
"""
import json
import os
import subprocess
import sys
import time
from contextlib import chdir
from pathlib import Path

DEFAULTS = ("../shared/data/chest_xray", "cpu", "fixmatch meanteacher reconstruct active", "remix patient")


def _value(text: str):
    "A setting's value as the CLI reads it: JSON when it parses (numbers, lists, true/false), else text."
    try: return json.loads(text)
    except json.JSONDecodeError: return text


def published(preset: str, protocol: str, method: str, seed: int, percent: int) -> bool:
    "Is the step in the published record? (run folders do not outlive a session)"
    path = Path(f"results/{preset}-{protocol}/results.json")
    rows = json.loads(path.read_text()) if path.exists() else []
    return any(r["stage"] == method and r["subset_seed"] == seed and r["percent"] == percent for r in rows)


def semisuper(*args: str, lines: int = 3):
    "Run the CLI, show the last `lines` lines of its output; a failed step stops the runner with its exit code."
    proc = subprocess.run(["semisuper", *args], stdout=subprocess.PIPE, text=True)
    print("\n".join(proc.stdout.splitlines()[-lines:]), flush=True)
    if proc.returncode: sys.exit(proc.returncode)


def record_preset(name: str) -> str | None:
    """The preset of a record or run folder named PRESET-PROTOCOL[-SETTINGS] (`cpu-plus-official`: cpu-plus, not cpu);
    None for any other folder (`ablation-official`)."""
    from semisuper.data import PROTOCOLS  # here, not above: main() sets the Keras backend first
    from semisuper.runs import PRESETS
    return next((p for p in sorted(PRESETS, key=len, reverse=True)
                 if name.startswith(p + "-") and name[len(p) + 1:].split("-")[0] in PROTOCOLS), None)


def publish(preset: str):
    """Report and compare every published record, of every preset, and this preset's run folders here, not only those
    run now: one record of all, preset by preset in the order of their names, whichever runner or merge publishes.
    Other presets' run folders stay out (the README's first command leaves runs/demo-remix)."""
    def named(root: str, every: bool = False) -> dict[str, str]:
        "Folder name -> its preset, for the record folders under `root` (this preset's only, unless `every`)."
        found = {p.name: record_preset(p.name) for p in Path(root).glob("*-*") if p.is_dir()}
        return {name: of for name, of in found.items() if of and (every or of == preset)}
    presets = named("results", every=True) | named("runs")
    names = sorted(presets, key=lambda n: (presets[n], n))
    records = [f"runs/{n}" if Path(f"runs/{n}/config.json").exists() else f"results/{n}" for n in names]
    subprocess.run(["semisuper", "report", *records, "--out", "results", "--no-embeddings"], stdout=subprocess.DEVNULL, check=True)
    semisuper("compare", *(f"results/{n}" for n in names), "--out", "results", lines=2)


def merge(preset: str, worktrees: list[str]) -> int:
    """Publish the run folders of runners in other worktrees (each at a fixed commit) into this checkout's records,
    then report and compare all of them once, as the runner does after each step. Each is published from its
    worktree, so its record names the run folder as its runner did (runs/NAME), not by this machine's path."""
    folders = sorted(p for tree in worktrees for p in Path(tree, "runs").glob(f"{preset}-*")
                     if record_preset(p.name) == preset and (p / "config.json").exists())  # cpu: not cpu-plus-*
    if not folders:
        print(f"no run folder runs/{preset}-* in {' '.join(worktrees)}", file=sys.stderr)
        return 2
    from semisuper.runs import publish_run
    results = Path("results").resolve()
    for folder in folders:
        print("publishing", folder, flush=True)
        with chdir(folder.parent.parent): publish_run(f"runs/{folder.name}", results / folder.name)
    publish(preset)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["merge"]:
        if len(argv) < 3:
            print("usage: tools/run_comparisons.sh merge PRESET WORKTREE...", file=sys.stderr)
            return 2
        return merge(argv[1], argv[2:])
    data, preset_name, chosen, protocols = (*argv, *DEFAULTS[len(argv):])
    chosen, protocols = chosen.split(), protocols.split()
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from semisuper.methods import METHODS, commands
    from semisuper.runs import preset
    known = [c for c in commands() if c != "run"]
    if unknown := [c for c in chosen if c not in known]:
        print(f"unknown method {' '.join(unknown)} ({', '.join(known)})", file=sys.stderr)
        return 2
    strategies = os.environ.get("ACTIVE_STRATEGIES")
    settings = [s for s in os.environ.get("SETTINGS", "").split() if s]
    if bad := [s for s in settings if "=" not in s]:
        print(f"SETTINGS takes field=value pairs, got {' '.join(bad)}", file=sys.stderr)
        return 2
    from semisuper.runs import NOT_SHAPING
    changed = {k: _value(v) for k, v in (s.split("=", 1) for s in settings)}
    # the record of these settings, named by the values that shape results: cpu-official-last, cpu-patient-1
    suffix = "".join(f"-{s.split('=', 1)[1]}" for s in settings if s.split("=", 1)[0] not in NOT_SHAPING)
    cfg = preset(preset_name, **({"al_strategies": strategies.split()} if strategies else {}), **changed)
    for command in chosen:
        scored = [METHODS[n] for n in commands()[command] if not METHODS[n].pretraining]
        needs = {n for m in scored for n in m.needs if METHODS[n].pretraining}
        first = sorted(n for n in needs if METHODS[n].command != command)  # another command's model (active: Stage 1)
        # a command with its own pretraining goes protocol by protocol (a stopped session rebuilds at most one);
        # the others seed by seed over the protocols, so n = 1 everywhere comes first
        order = ([(p, s) for p in protocols for s in cfg.subset_seeds] if needs - set(first)
                 else [(p, s) for s in cfg.subset_seeds for p in protocols])
        for protocol, seed in order:
            for method in scored:
                for percent in method.fractions(cfg):
                    if published(preset_name, protocol + suffix, method.name, seed, percent): continue
                    print(f"== {time.strftime('%H:%M', time.gmtime())} {method.label}: {protocol} subset {seed}, {percent} %", flush=True)
                    where = ["--data", data, "--preset", preset_name, "--protocol", protocol, "--out",
                             f"runs/{preset_name}-{protocol}{suffix}",
                             *(a for s in settings for a in ("--set", s))]
                    for need in first:  # resumed, or skipped when finished
                        semisuper(METHODS[need].command, *where, lines=1)
                    semisuper(command, *where, "--only", method.name, "--set", f"subset_seeds=[{seed}]",
                              "--percent", str(percent))
                    publish(preset_name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
