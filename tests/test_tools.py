"""Diagnostics in tools/ that are not part of the package."""
import sys

import numpy as np

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from embedding_spread import spread  # noqa: E402


def test_spread_tells_collapsed_from_spread_features():
    rng = np.random.default_rng(0)
    spread_out = rng.normal(size=(256, 32))
    collapsed = 5.0 + 0.05 * rng.normal(size=(256, 1)) * rng.normal(size=(1, 32))  # one shared direction + one axis
    cos_spread, rank_spread = spread(spread_out)
    cos_collapsed, rank_collapsed = spread(collapsed)
    assert abs(cos_spread) < 0.05 and rank_spread > 25, (cos_spread, rank_spread)
    assert cos_collapsed > 0.99 and rank_collapsed < 1.5, (cos_collapsed, rank_collapsed)
