import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # console scripts of this environment (nbdev-test, semisuper)


def run(cmd, env=None, timeout=900, cwd=ROOT):
    "Run a command; the completed process, with its output kept for assertion messages."
    return subprocess.run(cmd, cwd=cwd, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def tail(proc, n=4000):
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-n:]}\n--- stderr\n{proc.stderr[-n:]}"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    "The offline docs site, built once for the session."
    out = tmp_path_factory.mktemp("site")
    proc = run([sys.executable, "tools/docs.py", "--out", str(out), "--no-readme"])
    assert proc.returncode == 0, tail(proc)
    return out, proc


@pytest.fixture(scope="session")
def chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"): pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return exe


def sample_atlas(model, folder: Path):
    "The atlas of `model` from the bundled sample's patient split, built by `build_atlas` as `semisuper atlas` does."
    from semisuper.atlas import build_atlas
    from semisuper.data import SAMPLE_ROOT, label_subsets, load_xrays, make_split, write_manifest
    xrays = load_xrays(SAMPLE_ROOT, size=model.input_shape[1])
    split = make_split(xrays, "patient", seed=0)
    return build_atlas(model, SAMPLE_ROOT, write_manifest(Path(folder) / "sample.csv", xrays, split, label_subsets(xrays, split)))
