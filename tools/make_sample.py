"""Rebuild the bundled sample `semisuper/sample/` from the full Kermany set (deterministic).

    python tools/make_sample.py [--data ../shared/data/chest_xray]

Takes a seeded, stratified choice of real X-rays from the Kaggle release (train: 150 normal, 100 bacterial,
100 viral; test: 40 / 40 / 30), keeps their folders and file names (so labels and patient ids still parse),
and stores them as 128x128 grayscale JPEGs (quality 90).
"""
import argparse, hashlib, random, re, shutil
from pathlib import Path
from PIL import Image

CHOICE = {"train": {"normal": 150, "bacteria": 100, "virus": 100}, "test": {"normal": 40, "bacteria": 40, "virus": 30}}
OUT = Path(__file__).resolve().parent.parent / "semisuper" / "sample"


def kind(name):
    m = re.search(r"_(bacteria|virus)_", name)
    return m[1] if m else "normal"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "chest_xray"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    src = Path(args.data)
    readme = (OUT / "README.md").read_text() if (OUT / "README.md").exists() else None
    if OUT.exists(): shutil.rmtree(OUT)
    n = 0
    for folder, wanted in CHOICE.items():
        for cls in ("NORMAL", "PNEUMONIA"):
            files = sorted((src / folder / cls).glob("*.jpeg"))
            for k, count in wanted.items():
                pool = [f for f in files if kind(f.name) == k]
                if not pool: continue
                rng = random.Random(f"{args.seed}-{folder}-{k}")
                for f in sorted(rng.sample(pool, count)):
                    dst = OUT / folder / cls / f.name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    Image.open(f).convert("L").resize((128, 128), Image.Resampling.BILINEAR).save(dst, quality=90)
                    n += 1
    if readme: (OUT / "README.md").write_text(readme)
    size = sum(p.stat().st_size for p in OUT.rglob("*.jpeg"))
    print(f"wrote {n} images, {size / 1e6:.2f} MB, to {OUT}")


if __name__ == "__main__":
    main()
