"""How fast ``dancegen serve`` returns a dance, and how big the HTML player is.

1. The app (uvicorn on 127.0.0.1 in a thread, the bundled model, warmed up as at start): seconds
   from the upload of examples/music/metal_madness.ogg (a 30-s dance from 10 s) until the npz and
   the player page are downloaded (target: under 10 s), then until the mp4 is too.
2. The player page for a 90-s dance: bytes without music and with it, for a 2D dance made by the
   bundled model and for a 3D dance (synthetic, body3d layout, so the page carries three.js) at
   25 and 30 fps; and the seconds to build the page.

    .venv/bin/python benchmarks/bench_app.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MUSIC = REPO / "examples" / "music" / "metal_madness.ogg"


def post(url, fields, name, data):
    b = uuid.uuid4().hex
    body = b"".join(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items())
    body += (f'--{b}\r\nContent-Disposition: form-data; name="music"; filename="{name}"\r\n'
             f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + f"\r\n--{b}--\r\n".encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={b}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def get(url):
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.read()


def bench_app(runs: int):
    import socket

    import uvicorn

    from dancegen.app.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    work = tempfile.TemporaryDirectory(prefix="bench-app-")
    app = create_app(work.name)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    t = time.perf_counter()
    th.start()
    while not server.started:
        time.sleep(0.05)
    json.loads(get(base + "/api/options"))
    app.state.warmed.wait(120)                     # the start-up warm-up (model, libraries, one short dance)
    print(f"server up and warm in {time.perf_counter() - t:.1f} s")
    song = MUSIC.read_bytes()
    ready, done = [], []
    for i in range(runs):
        t0 = time.perf_counter()
        job = post(base + "/api/jobs", {"start": 10, "duration": 30, "seed": i}, MUSIC.name, song)
        while True:
            st = json.loads(get(f"{base}/api/jobs/{job['id']}"))
            if st["state"] in ("ready", "done", "error"):
                break
            time.sleep(0.05)
        assert st["state"] != "error", st
        npz, page = get(base + st["files"]["npz"]), get(base + st["files"]["player"])
        ready.append(time.perf_counter() - t0)
        while st["state"] != "done":
            time.sleep(0.1)
            st = json.loads(get(f"{base}/api/jobs/{job['id']}"))
        mp4 = get(base + st["files"]["mp4"])
        done.append(time.perf_counter() - t0)
        print(f"run {i + 1}: npz + player in {ready[-1]:.2f} s (npz {len(npz) / 1e3:.0f} kB, player "
              f"{len(page) / 1e6:.2f} MB), mp4 too in {done[-1]:.2f} s ({len(mp4) / 1e6:.2f} MB); "
              f"server timings {st['timings']}")
    server.should_exit = True
    th.join(timeout=20)
    work.cleanup()
    print(f"app, 30-s dance: npz + player median {statistics.median(ready):.2f} s "
          f"(target < 10 s), with the mp4 {statistics.median(done):.2f} s, over {runs} runs")


def bench_sizes():
    import dancegen
    from dancegen.render.html import player_html
    from dancegen.render.synthetic import swaying_dance_3d

    rows = []
    d2 = dancegen.generate(str(MUSIC), start=10, duration=90)
    rows.append(("2D, bundled model, 25 fps", d2))
    for fps in (25.0, 30.0):
        rows.append((f"3D (synthetic), {fps:g} fps", swaying_dance_3d(int(90 * fps), fps=fps, music=str(MUSIC), offset=10)))
    print("player page for a 90-s dance (bytes):")
    for label, d in rows:
        st0, st1 = {}, {}
        t = time.perf_counter()
        player_html(d, audio=False, stats=st0)
        t_silent = time.perf_counter() - t
        t = time.perf_counter()
        player_html(d, stats=st1)
        t_music = time.perf_counter() - t
        print(f"  {label:28s} {d.n_frames} frames: without music {st0['total']:>9,d} "
              f"(three.js {st0['three']:,d}, data {st0['data']:,d}); with music {st1['total']:>9,d} "
              f"(music {st1['music']:,d} base64 of AAC 128k); built in {t_silent:.2f} s / {t_music:.2f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-app", action="store_true")
    a = ap.parse_args()
    if not a.skip_app:
        bench_app(a.runs)
    bench_sizes()


if __name__ == "__main__":
    main()
