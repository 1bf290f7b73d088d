"""Execute notebooks in place so their stored outputs (what the docs show) are current, then clean them.

    python tools/execute_notebooks.py [nbs/00_data.ipynb ...]   # default: every notebook in nbs/

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
        if cell.cell_type == "code": cell.outputs = outputs
    nbformat.write(nb, path)
    print(f"executed {path.relative_to(ROOT)}")


def main(paths):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    for p in [Path(p).resolve() for p in paths] or sorted((ROOT / "nbs").glob("*.ipynb")):
        execute(p)
    subprocess.run(["nbdev-clean"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
