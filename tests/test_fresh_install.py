"""Chapters run from a clean install, as in Colab: a fresh virtual environment with the package and a Jupyter kernel
(what Colab provides), none of the dev extras, the chapters copied out of the clone, no data beside them."""
import shutil
import sys
import venv

from conftest import ROOT, run, tail

sys.path.insert(0, str(ROOT / "tools"))
import chapter_cells  # noqa: E402

CHAPTERS = ["00_data.ipynb", "06_simclr.ipynb"]  # the data chapter and Stage 1

EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
    said = [c for c in nb.cells if c.source.startswith("print(describe_data(")]  # the shared cell: which data it reads
    out = [o.get("text", "") for c in said for o in c.outputs]
    print(path, "ran; setup cell printed:", "".join(out).strip() or "(nothing)")
"""


def test_every_chapter_has_the_shared_cells_and_no_dev_only_import():
    proc = run([sys.executable, "tools/chapter_cells.py", "--check"])
    assert proc.returncode == 0, tail(proc)
    assert "nbdev" in chapter_cells.DEV_ONLY and "pytest" in chapter_cells.DEV_ONLY and "httpx" not in chapter_cells.DEV_ONLY
    bad = {"cell_type": "code", "source": "import pytest\nx = 1", "metadata": {}, "outputs": []}
    guarded = {"cell_type": "code", "source": "try: from nbdev.showdoc import show_doc\nexcept ImportError: show_doc = help"}
    assert chapter_cells.dev_imports(ROOT / "nbs" / "x.ipynb", [bad, guarded]) == ["x.ipynb cell 0: import pytest"]


def test_chapters_run_from_a_clean_install(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    wheel_dir = tmp_path / "wheel"  # a wheel built from the clone, as pip install semisuper would fetch one
    proc = run([python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheel_dir), str(ROOT)], timeout=600)
    assert proc.returncode == 0, tail(proc)
    wheel = next(wheel_dir.glob("semisuper-*.whl"))
    proc = run([python, "-m", "pip", "install", "-q", str(wheel), "nbclient", "ipykernel"], timeout=1200)
    assert proc.returncode == 0, tail(proc)
    proc = run([python, "-c", "import importlib.util as u; print([m for m in ('nbdev', 'execnb', 'pytest') if u.find_spec(m)])"])
    assert proc.stdout.strip() == "[]", tail(proc)  # none of the dev extras

    work = tmp_path / "colab"  # outside the clone: no ../pyproject.toml, no shared/ data beside it
    work.mkdir()
    for name in CHAPTERS: shutil.copy(ROOT / "nbs" / name, work / name)
    for backend in ("jax", "tensorflow"):
        env = {"SEMISUPER_DATA": "", "PYTHONPATH": "", "HOME": str(tmp_path), "KERAS_BACKEND": backend,
               "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin"}
        proc = run([python, "-c", EXECUTE, *CHAPTERS], env=env, timeout=1800, cwd=work)
        assert proc.returncode == 0, f"{backend}: {tail(proc)}"
        assert "06_simclr.ipynb ran; setup cell printed: data: the bundled sample, " in proc.stdout, tail(proc)
    assert not (work / "semisuper").exists()  # nbdev_export never ran outside the clone
