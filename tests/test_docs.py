"The offline docs: a page per notebook, no broken internal link, and an index that renders in a real browser."
import functools
import http.server
import os
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, run, tail


def test_a_page_per_notebook(site):
    out, proc = site
    pages = {p.name for p in out.glob("*.html")}
    expected = {re.sub(r"^\d+[a-zA-Z0-9]*_", "", nb.stem) + ".html" for nb in (ROOT / "nbs").glob("*.ipynb")}
    assert {"index.html", "data.html", "augment.html", "cli.html"} <= expected
    assert pages == expected | {"get_data.html", "results.html", "404.html"}
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


class _Text(HTMLParser):
    "A page's visible prose: text outside code, scripts and styles; and its first blockquote (the description)."
    def __init__(self):
        super().__init__(); self.depth, self.text, self.quote, self.quoting = 0, [], [], None

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "pre", "script", "style"): self.depth += 1
        if tag == "blockquote" and self.quoting is None: self.quoting = True

    def handle_endtag(self, tag):
        if tag in ("code", "pre", "script", "style"): self.depth -= 1
        if tag == "blockquote" and self.quoting: self.quoting = False

    def handle_data(self, data):
        if self.depth == 0: self.text.append(data)
        if self.quoting: self.quote.append(data)


def test_pages_render_markdown_once(site):
    "Descriptions are Markdown, not raw backticks; no link is written inside another (as literal `[x](y.html)` text)."
    out, _ = site
    for page in sorted(out.glob("*.html")):
        if page.name == "404.html": continue
        parsed = _Text(); parsed.feed(page.read_text())
        assert "`" not in "".join(parsed.quote), (page.name, "".join(parsed.quote))
        assert not re.search(r"\]\([\w.#/-]+\)", "".join(parsed.text)), page.name
    api = (out / "cli.html").read_text() + (out / "app.html").read_text()
    for junk in ("NoneType=None", "builtin_function_or_method", "__main__."):  # nbdev's guessed types, the notebook's module
        assert junk not in api, junk
    assert "results/label_efficiency.png" in (out / "results.html").read_text() and (out / "results" / "label_efficiency.png").exists()
    data = (out / "get_data.html").read_text()
    assert "10.1016/j.cell.2018.02.010" in data and "kaggle.com/datasets/paultimothymooney/chest-xray-pneumonia" in data
    assert '<h1 id="get-the-data">Get the data' in data


def test_phone_width_search_and_console(site, chromium):
    "At 390 px: no sideways scrolling and a text column of at least 300 px; a search for LARS finds the optimizer page; no console error."
    playwright = pytest.importorskip("playwright.sync_api")
    out, _ = site
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base, errors, widths = f"http://127.0.0.1:{server.server_address[1]}", [], {}
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            for name in ("index", "get_data", "data", "optim", "cli", "app", "results"):
                page.goto(f"{base}/{name}.html", wait_until="networkidle")
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                widths[name] = page.evaluate("document.querySelector('article').getBoundingClientRect().width")
                assert overflow <= 0 and widths[name] >= 300, (name, overflow, widths[name])
            page.goto(f"{base}/index.html", wait_until="networkidle")
            page.click("label.md-header__button[for=__search]")
            page.type("input.md-search__input", "LARS", delay=50)
            page.wait_for_selector(".md-search-result__link", timeout=15000)
            hits = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.getAttribute('href'))")
            if shots := os.environ.get("SEMISUPER_ARTIFACTS"):
                page.screenshot(path=str(Path(shots) / "docs-search-390px.png"))
            browser.close()
    finally:
        server.shutdown()
    assert hits and hits[0].split("?")[0].endswith("optim.html"), hits
    assert errors == [], errors
    print("text column at 390 px:", widths, "| search LARS:", hits[:3])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass
