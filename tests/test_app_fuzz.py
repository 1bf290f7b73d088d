"Property test of the upload endpoint: whatever bytes arrive, the answer is 200, 413, 415 or 422 with a message, never a 500."
import io

import numpy as np
import pytest
from PIL import Image

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, sample_atlas


@pytest.fixture(scope="module", params=["without atlas", "with atlas"])
def client(request, tmp_path_factory):
    "The app on a small untrained model, with no atlas (every image answered) and with one of the sample (the guard's path)."
    import keras
    from fastapi.testclient import TestClient
    from semisuper.app import Predictor, create_app
    from semisuper.finetune import baseline_classifier
    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    model = baseline_classifier(depth=18, width=0.125, image_size=32, stem="small")
    keras.saving.save_model(model, path)
    atlas = sample_atlas(model, path.parent) if request.param == "with atlas" else None
    return TestClient(create_app(Predictor(path, atlas=atlas)))


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
    if reply.status_code == 200 and body["out_of_distribution"]:  # refused: reasons, no diagnosis
        assert body["reasons"] and body["label"] is body["probability"] is body["heatmap_png"] is body["map"] is None
    elif reply.status_code == 200:  # a diagnosis; without an atlas, a warning that nothing checked the image
        assert body["label"] in ("NORMAL", "PNEUMONIA") and 0 <= body["probability"] <= 1
        assert np.isclose(body["probabilities"]["PNEUMONIA"], body["probability"])
        assert np.isclose(sum(body["probabilities"].values()), 1, atol=1e-5) and (body["heatmap_png"] is not None) == heatmap
        assert (body["out_of_distribution"] is None) == bool(body["warnings"]) == (body["map"] is None)
    else:
        assert isinstance(body["detail"], str) and body["detail"]
    assert client.get("/api/health").status_code == 200
