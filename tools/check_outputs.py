"""Stored notebook outputs are documentation: check that they are current and clean. CI runs it.

    python tools/check_outputs.py [nbs/00_data.ipynb ...]   # default: every notebook in nbs/

A code cell's outputs are current when the cell's source is the one tools/execute_notebooks.py ran (the hash it
recorded in the cell's metadata). Clean: no output holds a machine path (/work/, /tmp/, /root/, /home/,
site-packages) or a warning. Exits 1 and lists every problem, with the command that mends it.
"""
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINE_PATH = re.compile(r"(?<![\w.])(/work|/tmp|/root|/home)/|site-packages")
WARNING = re.compile(r"\b\w*Warning\b[:(]|^WARNING\b|\bWARNING:", re.M)


def source_hash(source) -> str:
    "The hash that names a cell's source (a string, or nbformat's list of lines)."
    text = source if isinstance(source, str) else "".join(source)
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


def _texts(output: dict) -> list[str]:
    if "text" in output: return ["".join(output["text"])]
    data = output.get("data", {})
    return ["".join(data[k]) for k in ("text/plain", "text/markdown", "text/html") if k in data]


def problems(path: Path) -> list[str]:
    "What is wrong with the stored outputs of one notebook (empty when nothing is)."
    found = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip(): continue
        where = f"{path.name} cell {i}"
        if cell.get("metadata", {}).get("source_hash") != source_hash(cell["source"]):
            found.append(f"{where}: outputs made by another source (stale), or never executed")
        for output in cell.get("outputs", []):
            for text in _texts(output):
                if m := MACHINE_PATH.search(text): found.append(f"{where}: output holds a machine path ({m.group(0)!r})")
                if m := WARNING.search(text): found.append(f"{where}: output holds a warning ({text[max(0, m.start() - 40):m.end() + 60].strip()!r})")
    return found


def main(paths) -> int:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "nbs").glob("*.ipynb"))
    found = [p for nb in notebooks for p in problems(nb)]
    for p in found: print(p)
    if found:
        stale = sorted({p.split(" cell ")[0] for p in found})
        print(f"\n{len(found)} problem(s) in {len(stale)} notebook(s): fix the cause, then "
              f"python tools/execute_notebooks.py {' '.join('nbs/' + s for s in stale)}")
        return 1
    print(f"stored outputs of {len(notebooks)} notebooks: current, no machine paths, no warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
