"""tools/run_comparisons.sh, with `semisuper` replaced by a stub that logs its arguments: which steps it runs, which
published ones it skips, and what it publishes. Its steps come from the method registry. The training commands
themselves are tested in test_cli.py."""
import json
import os
import stat

from conftest import ROOT, run, tail

STUB = """#!/usr/bin/env bash
echo "$*" >> "$SEMISUPER_STUB_LOG"
"""


def _row(stage, seed, percent): return {"stage": stage, "subset_seed": seed, "percent": percent}


def _stub(tmp_path, text: str) -> dict:
    "Put the stub first on PATH as `semisuper`; the environment that runs it, logging to tmp_path/calls.log."
    (tmp_path / "bin").mkdir(exist_ok=True)
    stub = tmp_path / "bin" / "semisuper"
    stub.write_text(text)
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "SEMISUPER_STUB_LOG": str(tmp_path / "calls.log")}


def _runner(tmp_path, *args, env=None, preset="cpu"):
    "Run the script in a scratch folder holding a published `cpu-remix` record; the stub's log, one call per line."
    env = {**_stub(tmp_path, STUB), **(env or {})}
    record = tmp_path / "results" / "cpu-remix"
    record.mkdir(parents=True, exist_ok=True)
    rows = [_row("fixmatch", 0, p) for p in (1, 2)] + [_row("fixmatch", s, p) for s in (1, 2) for p in (1, 2, 5)]
    rows += [_row("active_random", 0, 5), _row("finetune", 1, 1)]
    (record / "results.json").write_text(json.dumps(rows))
    log = tmp_path / "calls.log"
    proc = run(["bash", str(ROOT / "tools/run_comparisons.sh"), "DATA", preset, *args], cwd=tmp_path, env=env)
    assert proc.returncode == 0, tail(proc)
    return proc, log.read_text().splitlines() if log.exists() else []


def test_runner_skips_published_steps(tmp_path):
    proc, calls = _runner(tmp_path, "fixmatch", "remix")
    trained = [c for c in calls if c.startswith("fixmatch")]
    assert trained == ["fixmatch --data DATA --preset cpu --protocol remix --out runs/cpu-remix "
                       "--only fixmatch --set subset_seeds=[0] --percent 5"], calls
    # publishing after the step covers the protocols on record (only `remix` here), report then compare
    assert calls[1:] == ["report results/cpu-remix --out results --no-embeddings",
                         "compare results/cpu-remix --out results"], calls
    assert "== " in proc.stdout and "FixMatch: remix subset 0, 5 %" in proc.stdout


def test_runner_active_steps_one_strategy_each(tmp_path):
    _, calls = _runner(tmp_path, "active", "remix")
    active = [c for c in calls if c.startswith("active")]
    # 3 subset seeds x 5 strategies (each one registered method), less the published (random, seed 0) step
    assert len(active) == 14 and not any("subset_seeds=[0]" in c and "active_random" in c for c in active), active
    assert all("--percent 5" in c and c.count("--only active_") == 1 for c in active)
    assert sum(c.startswith("pretrain") for c in calls) == 14  # Stage 1 (another command's) is resumed before each


def test_runner_builds_its_own_pretraining_per_protocol(tmp_path):
    _, calls = _runner(tmp_path, "meanteacher", "remix patient")
    steps = [c.split(" --out ")[0].split("--protocol ")[1].split()[0] for c in calls if c.startswith("meanteacher")]
    assert steps == ["remix"] * 9 + ["patient"] * 9, steps  # protocol by protocol: one pretraining each
    assert not any(c.startswith("pretrain") for c in calls)


def test_runner_settings_make_a_record_of_their_own(tmp_path):
    # the published remix record has fixmatch at seed 0, 1 and 2 %: with keep_epoch=last nothing is published yet
    (tmp_path / "runs" / "cpu-remix-last").mkdir(parents=True)  # what the first step makes
    _, calls = _runner(tmp_path, "fixmatch", "remix", env={"SETTINGS": "keep_epoch=last"})
    trained = [c for c in calls if c.startswith("fixmatch")]
    assert len(trained) == 9 and all("--out runs/cpu-remix-last --set keep_epoch=last --only fixmatch" in c
                                     for c in trained), trained
    assert "report results/cpu-remix results/cpu-remix-last --out results --no-embeddings" in calls, calls
    (tmp_path / "runs" / "cpu-remix-1").mkdir(parents=True)
    _, calls = _runner(tmp_path, "fixmatch", "remix", env={"SETTINGS": "split_seed=1 subset_seeds=[0]"})
    trained = [c for c in calls if c.startswith("fixmatch") and "cpu-remix-1" in c]
    assert len(trained) == 3 and all("--set split_seed=1 --set subset_seeds=[0] --only fixmatch --set subset_seeds=[0]" in c
                                     for c in trained), trained  # label-subset seed 0 only, and not in the record's name


def test_runner_keeps_presets_apart(tmp_path):
    """A preset's steps are its own (cpu's published steps do not count for cpu-plus, whose name starts like cpu's), and
    whichever preset runs, the pages report every preset's published records, cpu's before cpu-plus's, and only the
    running preset's run folders; other folders stay out."""
    (tmp_path / "runs" / "cpu-plus-remix").mkdir(parents=True)  # what the first step makes
    (tmp_path / "results" / "ablation-official").mkdir(parents=True)  # the ablation's record: not a preset's
    (tmp_path / "runs" / "demo-remix").mkdir()  # what the README's first command leaves: another preset's run folder
    (tmp_path / "runs" / "demo-remix" / "config.json").write_text("{}")
    _, calls = _runner(tmp_path, "fixmatch", "remix", preset="cpu-plus")
    trained = [c for c in calls if c.startswith("fixmatch")]
    assert len(trained) == 9 and all("--preset cpu-plus --protocol remix --out runs/cpu-plus-remix --only fixmatch" in c
                                     for c in trained), trained
    assert calls[-2:] == ["report results/cpu-remix results/cpu-plus-remix --out results --no-embeddings",
                          "compare results/cpu-remix results/cpu-plus-remix --out results"], calls
    (tmp_path / "calls.log").unlink()
    _, calls = _runner(tmp_path, "fixmatch", "remix")  # cpu: one step left; cpu-plus's run folder is not its to publish
    assert calls[-1] == "compare results/cpu-remix --out results", calls
    (tmp_path / "results" / "cpu-plus-remix").mkdir()  # what the cpu-plus runner's publishing made
    (tmp_path / "calls.log").unlink()
    _, calls = _runner(tmp_path, "fixmatch", "remix")  # now its record is on the pages a cpu runner writes
    assert [c for c in calls if c.startswith("fixmatch")] == [
        "fixmatch --data DATA --preset cpu --protocol remix --out runs/cpu-remix --only fixmatch --set subset_seeds=[0] --percent 5"]
    assert calls[-1] == "compare results/cpu-remix results/cpu-plus-remix --out results", calls


def test_runner_refuses_unknown_method(tmp_path):
    proc = run(["bash", str(ROOT / "tools/run_comparisons.sh"), "DATA", "cpu", "nosuch", "remix"], cwd=tmp_path)
    assert proc.returncode == 2 and "unknown method nosuch" in proc.stderr and "fixmatch" in proc.stderr, tail(proc)


def test_runner_merges_the_run_folders_of_other_worktrees(tmp_path):
    """Runners in worktrees at a fixed commit: `merge` publishes each of their run folders from its worktree into this
    checkout's records (so a record names runs/NAME, not a machine's path), then reports and compares every record once."""
    for tree, name in (("tree-a", "cpu-patient-2-last"), ("tree-b", "cpu-patient-2"), ("tree-b", "cpu-remix"),
                       ("tree-b", "cpu-plus-official")):
        step = tmp_path / tree / "runs" / name / "fixmatch" / "1pct-subset0"
        step.mkdir(parents=True)
        preset, protocol = name.rsplit("-", 1) if name.startswith("cpu-plus") else ("cpu", name.split("-")[1])
        (step.parent.parent / "config.json").write_text(json.dumps({"preset": preset, "protocol": protocol}))
        (step / "results.json").write_text(json.dumps(_row("fixmatch", 0, 1)))
        (step / "model.keras").write_text("")  # finished
    (tmp_path / "tree-b" / "runs" / "cpu-unfinished").mkdir()  # no config.json: not a run folder
    here = tmp_path / "main"
    (here / "results" / "cpu-official").mkdir(parents=True)
    env = _stub(tmp_path, STUB.replace('echo "$*"', 'echo "$(basename "$PWD") $*"'))  # where it ran
    log = tmp_path / "calls.log"
    proc = run(["bash", str(ROOT / "tools/run_comparisons.sh"), "merge", "cpu", "../tree-a", "../tree-b"], cwd=here, env=env)
    assert proc.returncode == 0, tail(proc)
    for name in ("cpu-patient-2-last", "cpu-patient-2", "cpu-remix"):
        record = here / "results" / name
        assert json.loads((record / "config.json").read_text())["out"] == f"runs/{name}"
        assert [(r["stage"], r["percent"]) for r in json.loads((record / "results.json").read_text())] == [("fixmatch", 1)]
    assert not (here / "results" / "cpu-plus-official").exists()  # merging cpu leaves cpu-plus's run folders alone
    records = " ".join(f"results/cpu-{n}" for n in ("official", "patient-2", "patient-2-last", "remix"))
    assert log.read_text().splitlines() == [f"main report {records} --out results --no-embeddings",
                                            f"main compare {records} --out results"]  # the pages, rendered once
    log.unlink()
    proc = run(["bash", str(ROOT / "tools/run_comparisons.sh"), "merge", "cpu-plus", "../tree-b"], cwd=here, env=env)
    assert proc.returncode == 0 and proc.stdout.count("publishing") == 1, tail(proc)
    assert json.loads((here / "results" / "cpu-plus-official" / "config.json").read_text())["preset"] == "cpu-plus"
    assert log.read_text().splitlines()[-1] == f"main compare {records} results/cpu-plus-official --out results"
    proc = run(["bash", str(ROOT / "tools/run_comparisons.sh"), "merge", "cpu", "../nowhere"], cwd=here, env=env)
    assert proc.returncode == 2 and "no run folder" in proc.stderr, tail(proc)
