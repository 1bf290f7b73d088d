"Every notebook is a test: run each with nbdev-test under each Keras backend."
import json

import pytest

from conftest import BIN, ROOT, run, tail

BACKENDS = ("jax", "tensorflow")


def _has_code(nb):
    return any(c["cell_type"] == "code" and "".join(c["source"]).strip() for c in json.loads(nb.read_text())["cells"])


NOTEBOOKS = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb") if _has_code(p))


def test_notebooks_found():
    assert {"00_data.ipynb", "01_augment.ipynb", "02_models.ipynb", "03_losses.ipynb", "04_optim.ipynb", "05_training.ipynb",
            "06_simclr.ipynb", "07_finetune.ipynb", "08_distill.ipynb", "09_pipeline.ipynb", "10_report.ipynb", "11_explain.ipynb", "12_app.ipynb", "13_fixmatch.ipynb", "14_meanteacher.ipynb", "15_reconstruct.ipynb", "16_active.ipynb",
            "90_cli.ipynb"} <= set(NOTEBOOKS)


def check_notebook(notebook, **env):
    proc = run([str(BIN / "nbdev-test"), f"nbs/{notebook}"], env=env)
    assert proc.returncode == 0 and "Success" in proc.stdout + proc.stderr, tail(proc)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook(notebook, backend):
    check_notebook(notebook, KERAS_BACKEND=backend)


@pytest.mark.parametrize("notebook", ["00_data.ipynb", "01_augment.ipynb"])
def test_notebook_on_bundled_sample(notebook):
    "Without the full set (a fresh Colab), the chapters run on the bundled sample."
    check_notebook(notebook, KERAS_BACKEND="jax", SEMISUPER_DATA=str(ROOT / "semisuper" / "sample"))
