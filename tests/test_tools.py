"""Diagnostics in tools/ that are not part of the package."""
import sys

import numpy as np

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from check_outputs import problems, source_hash  # noqa: E402
from embedding_spread import spread  # noqa: E402


def test_spread_tells_collapsed_from_spread_features():
    rng = np.random.default_rng(0)
    spread_out = rng.normal(size=(256, 32))
    collapsed = 5.0 + 0.05 * rng.normal(size=(256, 1)) * rng.normal(size=(1, 32))  # one shared direction + one axis
    cos_spread, rank_spread = spread(spread_out)
    cos_collapsed, rank_collapsed = spread(collapsed)
    assert abs(cos_spread) < 0.05 and rank_spread > 25, (cos_spread, rank_spread)
    assert cos_collapsed > 0.99 and rank_collapsed < 1.5, (cos_collapsed, rank_collapsed)


def test_check_outputs_finds_stale_outputs_paths_and_warnings(tmp_path):
    import json

    def notebook(source, text, recorded=None):
        cell = {"cell_type": "code", "source": source, "metadata": {"source_hash": recorded or source_hash(source)},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": text}], "execution_count": 1}
        path = tmp_path / "nb.ipynb"
        path.write_text(json.dumps({"cells": [cell, {"cell_type": "markdown", "source": "/tmp/ in prose is fine"}]}))
        return path

    assert problems(notebook("print(1)", "1\n")) == []
    assert "stale" in problems(notebook("print(2)", "1\n", recorded=source_hash("print(1)")))[0]
    assert "machine path ('/tmp/')" in problems(notebook("print(p)", "saved to /tmp/tmpx1/run\n"))[0]
    assert problems(notebook("print(p)", "saved to ../../shared/data and runs/tmp/x\n")) == []
    assert "warning" in problems(notebook("f()", "x.py:3: UserWarning: careful\n"))[0]
    assert "warning" in problems(notebook("f()", "WARNING:tensorflow:5 out of the last 7 calls\n"))[0]
