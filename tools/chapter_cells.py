"""The cells every chapter shares, written from one place, so a chapter runs from a clean install (Colab) as in a clone.

    python tools/chapter_cells.py          # write them into every chapter (nbs/*.ipynb but the index)
    python tools/chapter_cells.py --check  # exit 1 when a chapter lacks them, holds an old version, or imports a
                                           # dev-only package where a clean install would fail (run by the tests)

1. An "Open in Colab" badge under the title.
2. A first code cell that installs semisuper when it runs in Colab, then two that say which data the chapter's
   examples read: the data `find_data` finds ($SEMISUPER_DATA, a Kaggle-layout `chest_xray` folder, ...) in the
   chapters that use it, else the bundled sample the chapter is sized for. The import has a cell of its own: nbdev's
   docs build runs every cell that imports, so a cell that imports only imports. Chapter 00 defines `find_data`, so
   there the first cell only installs.
3. A last cell that exports the chapter into the package only inside semisuper's clone with nbdev installed.

Writing a chapter clears the outputs of the cells it changes: run tools/execute_notebooks.py on it afterwards.
"""
import json
import re
import sys
import uuid
from pathlib import Path

try: import tomllib
except ImportError: import tomli as tomllib  # Python 3.10

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REPOSITORY = PROJECT["urls"]["Repository"]  # https://github.com/OWNER/NAME
COLAB = REPOSITORY.replace("https://github.com/", "https://colab.research.google.com/github/") + "/blob/main/nbs/"
BADGE_MARK, SETUP_MARK, EXPORT_MARK = "colab-badge.svg", "# In Colab, install semisuper", "nbdev_export()"
IMPORT_NAMES = {"pyyaml": "yaml", "pytest-xdist": "xdist"}  # dev extras whose module is named otherwise
DEV_ONLY = sorted(IMPORT_NAMES.get(n, n).replace("-", "_") for n in
                  (re.split(r"[<>=!~;\[ ]", r)[0] for r in PROJECT["optional-dependencies"]["dev"]))
DEV_IMPORT = re.compile(rf"^\s*(?:import|from)\s+({'|'.join(map(re.escape, DEV_ONLY))})\b", re.M)


def chapters() -> list[Path]:
    return sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if p.name != "index.ipynb")


def badge(chapter: Path) -> str:
    return f"[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARK})]({COLAB}{chapter.name})"


def setup(chapter: Path) -> str:
    lines = [f"{SETUP_MARK} first and let JAX drive its GPU/TPU (elsewhere, install it before starting Jupyter)",
             "import os, sys",
             'if "google.colab" in sys.modules:',
             "    import subprocess",
             f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+{REPOSITORY}"], check=True)',
             '    os.environ.setdefault("KERAS_BACKEND", "jax")  # before Keras is imported; tf.data stays on the host CPU']
    return "\n".join(lines)


def data_cells(chapter: Path, source: str) -> tuple[str, str] | tuple[()]:
    "The import and the line that say which data the chapter's examples read (none in chapter 00, which defines them)."
    if chapter.name.startswith("00_"): return ()
    if "find_data(" in source:
        return ("from semisuper.data import describe_data, find_data",
                "print(describe_data(find_data()))  # set SEMISUPER_DATA, or unpack Kaggle's chest_xray here, for the full set")
    return ("from semisuper.data import SAMPLE_ROOT, describe_data",
            "print(describe_data(SAMPLE_ROOT), \"(this chapter's examples are sized for the sample)\")")


def _is_data_cell(cell) -> bool:
    "A shared data cell: one line that imports `describe_data` or prints it (a chapter's own cells are longer)."
    lines = _source(cell).strip().splitlines()
    return (cell["cell_type"] == "code" and len(lines) == 1
            and (lines[0].startswith("from semisuper.data import") and "describe_data" in lines[0]
                 or lines[0].startswith("print(describe_data(")))


EXPORT = """#| hide
# Export this chapter into the package: only in semisuper's own clone with the dev tools (pip install -e ".[dev]").
import importlib.util, pathlib
clone = pathlib.Path("../pyproject.toml")
if importlib.util.find_spec("nbdev") and clone.is_file() and 'name = "semisuper"' in clone.read_text():
    import nbdev; nbdev.nbdev_export()"""


def _source(cell) -> str: return "".join(cell["source"])


def _cell(kind: str, text: str) -> dict:
    lines = text.split("\n")
    cell = {"cell_type": kind, "id": uuid.uuid4().hex[:8], "metadata": {},
            "source": [l + "\n" for l in lines[:-1]] + [lines[-1]]}
    if kind == "code": cell.update(execution_count=None, outputs=[])
    return cell


def expected(chapter: Path, cells: list[dict]) -> list[dict]:
    "The chapter's cells with the shared ones in place and current (other cells untouched)."
    own = [c for c in cells if not (BADGE_MARK in _source(c) or SETUP_MARK in _source(c) or EXPORT_MARK in _source(c)
                                    or _is_data_cell(c))]
    text = "\n".join(_source(c) for c in own)
    shared = [("markdown", badge(chapter)), ("code", setup(chapter)), *(("code", t) for t in data_cells(chapter, text)),
              ("code", EXPORT)]
    made = [next((c for c in cells if c["cell_type"] == kind and _source(c) == text), None) or _cell(kind, text)
            for kind, text in shared]  # a current cell is kept with its outputs
    return [own[0], *made[:-1], *own[1:], made[-1]]  # own[0]: the title cell


def dev_imports(chapter: Path, cells: list[dict]) -> list[str]:
    "Lines that import a dev-only package outside the shared export cell: they fail on a clean install."
    return [f"{chapter.name} cell {i}: {m.group(0).strip()}" for i, c in enumerate(cells)
            if c["cell_type"] == "code" and EXPORT_MARK not in _source(c)
            for m in DEV_IMPORT.finditer(_source(c))]  # a guarded `try: import ...` line does not match


def main(argv) -> int:
    check, found = "--check" in argv, []
    for chapter in chapters():
        nb = json.loads(chapter.read_text())
        cells = expected(chapter, nb["cells"])
        found += dev_imports(chapter, cells)
        if cells == nb["cells"]: continue
        if check: found.append(f"{chapter.name}: shared cells missing, misplaced or old")
        else:
            nb["cells"] = cells
            chapter.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            print(f"wrote {chapter.relative_to(ROOT)}")
    for problem in found: print(problem)
    if found and check: print("mend: python tools/chapter_cells.py, then python tools/execute_notebooks.py on the chapters it wrote")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
