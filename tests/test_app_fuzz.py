"Property test of the upload endpoint: whatever bytes arrive, the answer is 200, 413, 415 or 422 with a message, never a 500."
import io

import numpy as np
import pytest
from PIL import Image

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import keras
    from fastapi.testclient import TestClient
    from semisuper.app import Predictor, create_app
    from semisuper.finetune import baseline_classifier
    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    keras.saving.save_model(baseline_classifier(depth=18, width=0.125, image_size=32, stem="small"), path)
    return TestClient(create_app(Predictor(path)))


JPEG = sorted((ROOT / "semisuper" / "sample" / "test" / "NORMAL").glob("*.jpeg"))[0].read_bytes()


def png(width, height, mode):
    buf = io.BytesIO()
    Image.new(mode, (width, height), 128).save(buf, format="PNG")
    return buf.getvalue()


uploads = st.one_of(
    st.binary(max_size=4096),  # noise
    st.builds(lambda cut, junk: JPEG[:cut] + junk, st.integers(0, len(JPEG)), st.binary(max_size=64)),  # damaged JPEG
    st.builds(lambda i, b: JPEG[:i] + bytes([b]) + JPEG[i + 1:], st.integers(0, len(JPEG) - 1), st.integers(0, 255)),
    st.builds(png, st.integers(1, 300), st.integers(1, 300), st.sampled_from(["L", "RGB", "RGBA", "I;16", "1", "P"])),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=uploads, heatmap=st.booleans())
def test_any_upload_gets_a_clear_answer(client, data, heatmap):
    reply = client.post(f"/api/predict?heatmap={str(heatmap).lower()}", files={"image": ("upload", data)})
    assert reply.status_code in (200, 413, 415, 422), (reply.status_code, reply.text[:300])
    body = reply.json()
    if reply.status_code == 200:  # no atlas here: every readable image gets a diagnosis, and a warning that says so
        assert body["label"] in ("NORMAL", "PNEUMONIA") and 0 <= body["probability"] <= 1 and body["out_of_distribution"] is None
        assert np.isclose(body["probabilities"]["PNEUMONIA"], body["probability"]) and body["warnings"]
        assert np.isclose(sum(body["probabilities"].values()), 1, atol=1e-5) and (body["heatmap_png"] is not None) == heatmap
    else:
        assert isinstance(body["detail"], str) and body["detail"]
    assert client.get("/api/health").status_code == 200
