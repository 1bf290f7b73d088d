"""Compressed DICOM as radiographs leave the modality: JPEG Lossless and JPEG-LS, made here with GDCM and CharLS, read
through the app exactly as the uncompressed file; a syntax nothing decodes gets a 415 that names it."""
import io
import os
import tempfile

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT

pydicom = pytest.importorskip("pydicom")
gdcm = pytest.importorskip("gdcm")
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array
from pydicom.uid import JPEGLosslessSV1, JPEGLSLossless, MPEG2MPML

XRAY = sorted((ROOT / "semisuper" / "sample" / "test" / "NORMAL").glob("*.jpeg"))[0]


@pytest.fixture(scope="module")
def raw():
    "A 12-bit X-ray of the sample as an uncompressed DICOM."
    from semisuper.explain import make_dicom
    return make_dicom(np.round(np.asarray(Image.open(XRAY).convert("L")) / 255 * 4095).astype(np.uint16), bits_stored=12)


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient
    from semisuper.app import BUNDLED, Predictor, create_app
    return TestClient(create_app(Predictor(BUNDLED / "student.keras")))


def jpeg_lossless(raw: bytes) -> bytes:
    "GDCM's JPEG Lossless, process 14, selection value 1 (transfer syntax 1.2.840.10008.1.2.4.70)."
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "raw.dcm"), os.path.join(d, "jpeg.dcm")
        open(src, "wb").write(raw)
        reader = gdcm.ImageReader(); reader.SetFileName(src); assert reader.Read()
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
        change.SetInput(reader.GetImage()); assert change.Change()
        writer = gdcm.ImageWriter(); writer.SetFileName(dst); writer.SetFile(reader.GetFile())
        writer.SetImage(change.GetOutput()); assert writer.Write()
        return open(dst, "rb").read()


def jpeg_ls(raw: bytes) -> bytes:
    "CharLS's lossless JPEG-LS through pydicom (pyjpegls)."
    pytest.importorskip("jpeg_ls")
    ds = pydicom.dcmread(io.BytesIO(raw))
    ds.compress(JPEGLSLossless, encoding_plugin="pyjpegls")
    out = io.BytesIO(); ds.save_as(out)
    return out.getvalue()


@pytest.mark.parametrize("make, syntax", [(jpeg_lossless, JPEGLosslessSV1), (jpeg_ls, JPEGLSLossless)])
def test_compressed_dicom_reads_as_uncompressed(client, raw, make, syntax):
    data = make(raw)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.file_meta.TransferSyntaxUID == syntax and len(data) < len(raw)
    # the plugin semisuper installs decodes it losslessly (GDCM, a dev tool here, is not what users have)
    assert np.array_equal(pixel_array(ds, decoding_plugin="pylibjpeg"), pydicom.dcmread(io.BytesIO(raw)).pixel_array)
    plain, packed = (client.post("/api/predict", files={"image": ("x.dcm", d)}) for d in (raw, data))
    assert plain.status_code == packed.status_code == 200, packed.text
    assert plain.json()["probabilities"] == packed.json()["probabilities"]


def test_undecodable_syntax_is_named(client, raw):
    ds = pydicom.dcmread(io.BytesIO(raw))
    ds.file_meta.TransferSyntaxUID, ds.PixelData = MPEG2MPML, encapsulate([b"\0" * 64])
    out = io.BytesIO(); ds.save_as(out)
    reply = client.post("/api/predict", files={"image": ("video.dcm", out.getvalue())})
    assert reply.status_code == 415 and "MPEG2" in reply.json()["detail"], reply.text
