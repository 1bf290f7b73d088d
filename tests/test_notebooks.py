"Every notebook is a test: run each with nbdev-test under each Keras backend."
import json

import pytest

from conftest import BIN, ROOT, run, tail

BACKENDS = ("jax", "tensorflow")


def _has_code(nb):
    return any(c["cell_type"] == "code" and "".join(c["source"]).strip() for c in json.loads(nb.read_text())["cells"])


NOTEBOOKS = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb") if _has_code(p))


def test_notebooks_found():
    assert {"00_data.ipynb", "01_augment.ipynb", "02_models.ipynb", "03_losses.ipynb", "04_optim.ipynb", "05_training.ipynb", "06_simclr.ipynb", "07_finetune.ipynb", "08_distill.ipynb", "09_fixmatch.ipynb", "10_meanteacher.ipynb", "11_reconstruct.ipynb", "12_active.ipynb", "13_runs.ipynb", "14_methods.ipynb", "15_pipeline.ipynb", "16_report.ipynb", "17_explain.ipynb", "17a_atlas.ipynb", "18_app.ipynb", "90_cli.ipynb"} <= set(NOTEBOOKS)


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
