"The web app end to end: a real server on a free loopback port, driven by headless Chromium through Playwright."
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

SERVER = """
import sys, keras
from semisuper.app import serve
from semisuper.finetune import baseline_classifier
keras.utils.set_random_seed(0)
model = sys.argv[1]
keras.saving.save_model(baseline_classifier(depth=18, width=0.125, image_size=32, stem="small"), model)
serve(model, port=int(sys.argv[2]), examples={"pneumonia example": open(sys.argv[3], "rb").read()})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    "The app on a small untrained model (what is tested here is the page and the API, not the model)."
    port, xray = free_port(), sorted((ROOT / "semisuper" / "sample" / "test" / "PNEUMONIA").glob("*.jpeg"))[0]
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path / "model.keras"), str(port), str(xray)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if json.load(urllib.request.urlopen(f"{url}/api/health", timeout=1))["status"] == "ok": break
        except OSError: time.sleep(0.5)
        if proc.poll() is not None: break
    else: pytest.fail("server did not start")
    if proc.poll() is not None: pytest.fail("server died:\n" + (tmp_path / "server.log").read_text()[-3000:])
    yield url, xray
    proc.terminate()
    proc.wait(timeout=30)


def test_upload_in_the_browser(server, chromium, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    url, xray = server
    expected = json.loads(subprocess.run(["curl", "-s", "-F", f"image=@{xray}", f"{url}/api/predict"],
                                         capture_output=True, text=True).stdout)
    artifacts = Path(os.environ.get("SEMISUPER_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.goto(url)
        page.set_input_files("#file", str(xray))  # what the file picker does
        page.wait_for_selector("#result", state="visible", timeout=60_000)
        label = page.inner_text("#label")
        assert label == {"NORMAL": "Normal", "PNEUMONIA": "Pneumonia"}[expected["label"]]
        assert f"{100 * expected['probability']:.1f} %" in page.inner_text("#probability")
        width = page.eval_on_selector("#heatmap", "img => img.complete ? img.naturalWidth : 0")
        assert width == 320, "the heatmap image did not render"
        page.screenshot(path=str(artifacts / "app.png"))
        # an example button, then a file that is not an image: a clear message, and the page still works
        page.click("text=pneumonia example")
        page.wait_for_function("document.querySelector('#label').textContent.length > 0")
        page.set_input_files("#file", {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an x-ray"})
        page.wait_for_selector("#error:has-text('cannot read this file')", timeout=30_000)
        assert not page.is_visible("#result")
        # the latest action wins: an example clicked, then at once a bad file; the example's late answer must not
        # overwrite the error (this raced before the click itself was counted as the upload)
        held = []  # the example's download is held back until the bad file has been answered
        page.route("**/api/examples/*", lambda route: held.append(route))
        page.click("text=pneumonia example")
        page.set_input_files("#file", {"name": "notes2.txt", "mimeType": "text/plain", "buffer": b"still not"})
        page.wait_for_selector("#error:has-text('cannot read this file')", timeout=30_000)
        page.wait_for_timeout(500)
        assert len(held) == 1, "the example download was not intercepted"
        held[0].continue_()
        page.wait_for_timeout(3_000)  # time for the example's answer to come back
        assert "cannot read this file" in page.inner_text("#error") and not page.is_visible("#result")
        browser.close()
    print(f"screenshot: {artifacts / 'app.png'}")
