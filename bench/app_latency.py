"""Latency and throughput of `semisuper serve` on loopback, with a bounded load generator.

Starts the real server (`semisuper serve`, bundled model unless --model) in its own process on a free port, waits
for `/api/health`, then for each concurrency level keeps exactly that many clients busy until `--requests`
predictions have been answered (bounded: never more in flight than the level). Every request uploads the same
224 px JPEG from the bundled test-split examples and asks for the Grad-CAM overlay (`?heatmap=true`), i.e. the
page's request, answered with the out-of-distribution check and the map placement when the model has an atlas
(`--without-atlas` serves a copy without one, to measure what they cost). Prints a Markdown table and writes JSON.

    KERAS_BACKEND=tensorflow python bench/app_latency.py --concurrency 1 4 20 --requests 200
    KERAS_BACKEND=tensorflow python bench/app_latency.py --concurrency 1 4 20 --requests 200 --without-atlas
"""
import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, model: str | None) -> tuple[subprocess.Popen, float]:
    "The server process and its seconds from launch to a healthy answer (model load and warm-up included)."
    cmd = [sys.executable, "-c", "import sys; from semisuper.cli import main; sys.exit(main())", "serve", "--port", str(port)] + (["--model", model] if model else [])
    start = time.perf_counter()
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while time.perf_counter() - start < 300:
        if server.poll() is not None: raise RuntimeError(f"server exited: {server.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return server, time.perf_counter() - start
        except httpx.TransportError: time.sleep(0.2)
    server.kill()
    raise TimeoutError("server not healthy after 300 s")


async def load(url: str, image: bytes, concurrency: int, requests: int, guarded: bool = True) -> dict:
    "Keep `concurrency` clients busy until `requests` answers: client latency, server-side time, requests/s."
    latencies, server_ms, errors = [], [], 0
    remaining = iter(range(requests))

    async def client(http: httpx.AsyncClient):
        nonlocal errors
        for _ in remaining:  # a shared iterator: the total is bounded, whichever client is free takes the next
            t = time.perf_counter()
            r = await http.post(url, files={"image": ("xray.jpeg", image, "image/jpeg")})
            latencies.append(time.perf_counter() - t)
            body = r.json() if r.status_code == 200 else {}
            if not body.get("heatmap_png") or (guarded and (body.get("out_of_distribution") is not False or not body.get("map"))): errors += 1
            else: server_ms.append(body["milliseconds"])

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    ms = 1000 * np.array(latencies)
    return dict(concurrency=concurrency, requests=requests, errors=errors, seconds=round(wall, 2),
                requests_per_s=round(requests / wall, 2), p50_ms=round(float(np.percentile(ms, 50)), 1),
                p95_ms=round(float(np.percentile(ms, 95)), 1), max_ms=round(float(ms.max()), 1),
                server_p50_ms=round(float(np.percentile(server_ms, 50)), 1) if server_ms else None,
                server_p95_ms=round(float(np.percentile(server_ms, 95)), 1) if server_ms else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras classifier (default: the bundled student)")
    parser.add_argument("--image", help="the upload (default: a bundled 224 px test-split example)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 20])
    parser.add_argument("--requests", type=int, default=200, help="answers per concurrency level")
    parser.add_argument("--warmup", type=int, default=10, help="requests before measuring")
    parser.add_argument("--without-atlas", action="store_true",
                        help="serve a copy of the model without its atlas (no out-of-distribution guard, no map): the guard's cost")
    parser.add_argument("--out", default=None, help="JSON file (default: bench/results/app_latency-BACKEND[-without-atlas].json)")
    args = parser.parse_args(argv)
    if any(c < 1 for c in args.concurrency) or args.requests < 1: parser.error("concurrency and requests must be >= 1")
    from semisuper.app import BUNDLED
    image = Path(args.image or BUNDLED / "examples" / "pneumonia-1.jpeg").read_bytes()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    model = args.model
    if args.without_atlas:  # the same model file and card in a folder of its own, without the atlas beside it
        import shutil, tempfile
        source = Path(model or BUNDLED / "student.keras")
        model = str(Path(tempfile.mkdtemp()) / source.name)
        shutil.copy(source, model)
        if source.with_suffix(".json").is_file(): shutil.copy(source.with_suffix(".json"), Path(model).with_suffix(".json"))
    port = free_port()
    server, ready_s = start_server(port, model)
    try:
        url = f"http://127.0.0.1:{port}/api/predict?heatmap=true"
        asyncio.run(load(url, image, 1, args.warmup, not args.without_atlas))
        rows = [asyncio.run(load(url, image, c, args.requests, not args.without_atlas)) for c in args.concurrency]
    finally:
        server.terminate()
        server.wait(30)
    result = dict(backend=backend, atlas=not args.without_atlas, startup_to_healthy_s=round(ready_s, 1), upload_bytes=len(image),
                  machine=dict(cpus=os.cpu_count(), processor=platform.processor() or platform.machine(),
                               python=platform.python_version()), rows=rows)
    out = Path(args.out or Path(__file__).parent / "results" / f"app_latency-{backend}{'-without-atlas' if args.without_atlas else ''}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"backend {backend}: healthy {ready_s:.1f} s after launch; {len(image):,} byte JPEG, Grad-CAM on, "
          + ("no atlas" if args.without_atlas else "out-of-distribution guard and map on"))
    print("| clients | requests | p50 ms | p95 ms | max ms | requests/s | server p50 / p95 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['concurrency']} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
              f"{r['requests_per_s']} | {r['server_p50_ms']} / {r['server_p95_ms']} | {r['errors']} |")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
