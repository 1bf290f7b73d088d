"""Execute notebooks in place so their stored outputs (what the docs show) are current, then clean them.

    python tools/execute_notebooks.py [nbs/00_data.ipynb ...]   # default: every notebook in nbs/

Each code cell records the hash of the source that made its outputs (`source_hash` in its metadata), so
tools/check_outputs.py (run in CI) can tell stored outputs that are stale.

Runs under the JAX backend unless KERAS_BACKEND is set. TensorFlow's C++ start-up lines (absl, oneDNN, CUDA
probes) reach the kernel's stderr whatever TF_CPP_MIN_LOG_LEVEL says; they are dropped from the outputs so the
docs show only what the code printed.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from check_outputs import source_hash  # noqa: E402
NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} .*\]|To enable the following instructions).*$\n?", re.M)


def execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    ExecutePreprocessor(timeout=1800, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(path.parent)}})
    for cell in nb.cells:
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                out["text"] = NOISE.sub("", out["text"])
                if not out["text"].strip(): continue
            outputs.append(out)
        if cell.cell_type == "code": cell.outputs, cell.metadata["source_hash"] = outputs, source_hash(cell.source)
    nbformat.write(nb, path)
    print(f"executed {path.relative_to(ROOT)}")


def main(paths) -> int:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    failed = []
    for p in [Path(p).resolve() for p in paths] or sorted((ROOT / "nbs").glob("*.ipynb")):
        try: execute(p)
        except Exception as e:  # a failing notebook keeps its old outputs; the others are still executed
            failed.append(p.name)
            print(f"FAILED {p.relative_to(ROOT)}: {type(e).__name__}: {str(e)[-2000:]}")
    subprocess.run(["nbdev-clean"], cwd=ROOT, check=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
