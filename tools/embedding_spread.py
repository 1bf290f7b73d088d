"""How spread out a pretrained encoder's features are: mean pairwise cosine and effective rank (exp of the entropy of
the centred features' normalised singular values) on a fixed random sample of images. A collapsed pretraining shows a
high cosine and a low rank. Diagnostic only; not part of the package.
  usage: python tools/embedding_spread.py MODEL.keras [MODEL.keras ...] [--data DIR] [--size 64] [--n 512]"""
import argparse

import numpy as np


def spread(features: np.ndarray) -> tuple[float, float]:
    "Mean pairwise cosine (off the diagonal) and effective rank of `features` (rows are images)."
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    cosine = (unit @ unit.T)[~np.eye(len(unit), dtype=bool)].mean()
    s = np.linalg.svd(unit - unit.mean(0), compute_uv=False) ** 2
    p = s / s.sum()
    return float(cosine), float(np.exp(-(p * np.log(p + 1e-12)).sum()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--data", default="../shared/data/chest_xray")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--n", type=int, default=512)
    args = ap.parse_args()
    import keras
    import semisuper.pipeline  # noqa: F401 (registers every model class the files may hold)
    from semisuper.data import load_xrays
    from semisuper.simclr import embed  # scales uint8 to the [0, 1] the encoders take, inference mode, batched
    xrays = load_xrays(args.data, size=args.size)
    images = xrays.images[np.random.default_rng(0).choice(len(xrays.images), args.n, replace=False)]
    for path in args.models:
        z = embed(keras.saving.load_model(path, compile=False).encoder, images)
        cosine, rank = spread(z)
        print(f"{path}: {z.shape[1]} features, mean pairwise cosine {cosine:.3f}, effective rank {rank:.1f}")


if __name__ == "__main__":
    main()
