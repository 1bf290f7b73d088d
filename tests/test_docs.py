"The offline docs: a page per notebook, no broken internal link, and an index that renders in a real browser."
import re

import numpy as np
from PIL import Image

from conftest import ROOT, run, tail


def test_a_page_per_notebook(site):
    out, proc = site
    pages = {p.name for p in out.glob("*.html")}
    expected = {re.sub(r"^\d+[a-zA-Z0-9]*_", "", nb.stem) + ".html" for nb in (ROOT / "nbs").glob("*.ipynb")}
    assert {"index.html", "data.html", "augment.html", "cli.html"} <= expected and pages == expected
    assert "all internal links and anchors resolve" in proc.stdout


def test_api_docs_are_rendered(site):
    out, _ = site
    data = (out / "data.html").read_text()
    for name in ("load_xrays", "preprocess", "make_split", "contrastive_dataset"):  # show_doc headings with anchors
        assert f'id="{name}"' in data
    assert '<span class="nf">preprocess</span>' in data  # the highlighted signature, from show_doc
    assert 'href="data.html#contrastive_dataset"' in (out / "augment.html").read_text()  # a doc link across chapters


def test_broken_link_is_caught(site, tmp_path):
    import shutil, sys
    sys.path.insert(0, str(ROOT / "tools"))
    from docs import check_links
    out, _ = site
    shutil.copytree(out, tmp_path / "s")
    index = tmp_path / "s" / "index.html"
    index.write_text(index.read_text().replace("</main>", '<a href="nowhere.html">x</a><a href="data.html#nope">y</a></main>'))
    assert check_links(tmp_path / "s") == ["index.html: link to missing page nowhere.html",
                                           "index.html: link to missing anchor data.html#nope"]


def test_index_renders_in_chromium(site, chromium, tmp_path):
    out, _ = site
    shot = tmp_path / "index.png"
    proc = run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                "--window-size=1200,900", f"--screenshot={shot}", (out / "index.html").as_uri()], timeout=120)
    assert shot.exists(), tail(proc)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.shape == (900, 1200)
    dark = (pixels < 128).mean()  # text, headings and the navigation bar
    assert 0.005 < dark < 0.5 and pixels.std() > 20, f"blank-looking page: {dark:.4f} dark, std {pixels.std():.1f}"


def test_docs_build_runs_no_example(tmp_path):
    "nbdev's docs processing runs every cell that imports: in the chapters such cells only import (or define, or show docs)."
    import sys
    import nbformat
    sys.path.insert(0, str(ROOT / "tools"))
    from docs import mixed_cells
    assert mixed_cells(sorted((ROOT / "nbs").glob("*.ipynb"))) == []
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
        "import numpy as np",  # imports only
        "try: from nbdev.showdoc import show_doc\nexcept ImportError: show_doc = help",  # a guarded import
        "x = np.ones(3)\nprint(x)",  # code without an import: the docs build does not run it
        "#| export\nimport os\nLIMIT = 3",  # the package itself
        "import keras\nmodel = keras.Sequential()\nmodel.fit",  # would run while the docs build
    )])
    nbformat.write(nb, tmp_path / "x.ipynb")
    assert mixed_cells([tmp_path / "x.ipynb"]) == ["x.ipynb cell 4: imports and runs code in one cell (give the imports a cell of their own)"]
