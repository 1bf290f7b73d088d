"""How long the command line takes to answer `--help`, `--version` and every command's `--help` (target: under 1.5 s
each on 2 cores), and `semisuper run` on the bundled sample (target: at most 3 minutes), as a user runs them.

    python bench/cli_startup.py            # the help texts, 5 runs each: median and worst
    python bench/cli_startup.py --demo     # and the README's `semisuper run` once, into a temporary folder
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from semisuper.cli import parser

SEMISUPER = shutil.which("semisuper") or sys.exit("the semisuper console script is not on PATH (pip install -e .)")


def timed(*args, cwd=None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run([SEMISUPER, *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, "SEMISUPER_DATA": ""})  # the bundled sample
    return time.perf_counter() - started, proc


def main():
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--demo", action="store_true", help="also time `semisuper run` on the bundled sample")
    demo = options.parse_args().demo
    commands = list(parser()._subparsers._group_actions[0].choices)
    rows = []
    for argv in (["--help"], ["--version"], *([c, "--help"] for c in commands)):
        times = []
        for _ in range(5):
            seconds, proc = timed(*argv)
            if proc.returncode != 0: sys.exit(f"semisuper {' '.join(argv)} failed: {proc.stderr[-500:]}")
            times.append(seconds)
        rows.append((" ".join(argv), statistics.median(times), max(times)))
    print("| command | median s | worst s |\n|---|---|---|")
    for name, median, worst in rows: print(f"| `semisuper {name}` | {median:.2f} | {worst:.2f} |")
    print(f"\nslowest of {len(rows)}: {max(r[2] for r in rows):.2f} s (target < 1.5 s)")
    if demo:
        with tempfile.TemporaryDirectory() as tmp:
            seconds, proc = timed("run", "--out", f"{tmp}/run", cwd=tmp)
        if proc.returncode != 0: sys.exit(f"semisuper run failed: {proc.stderr[-2000:]}")
        print(proc.stdout)
        print(f"`semisuper run` on the bundled sample: {seconds / 60:.2f} min wall (target <= 3 min)")


if __name__ == "__main__":
    main()
