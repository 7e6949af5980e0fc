"""Screenshots for docs/player.md, taken in headless Chromium (tests/browser.py):

- docs/img/player.png: the HTML player on a real Dance with Melody take (DANCE_W_10 from
  ../shared, its 3D joints in the body3d layout), both views, a few seconds into the music;
- docs/img/app.png: ``dancegen serve`` after a 20-s dance was made from examples/music.

    .venv/bin/python scripts/screenshots.py [--only player|app]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
IMG = REPO / "docs" / "img"
SHARED = REPO.parent / "shared"


def dwm_dance(name: str = "DANCE_W_10"):
    from dancegen.body3d import JOINTS3D, from_dwm23
    from dancegen.data.dwm import load_dwm_sequence, sequence_to_dance

    d = sequence_to_dance(load_dwm_sequence(SHARED / "data" / "dance_with_melody" / name), retime=False)
    d.joints3d, d.joint3d_names = from_dwm23(d.joints3d), JOINTS3D
    return d


def player_shot(out: Path):
    from browser import chrome, console_errors, wait_for
    from dancegen.render.html import write_player

    with tempfile.TemporaryDirectory() as tmp:
        page = write_player(dwm_dance(), Path(tmp) / "player.html")
        with chrome(1280, 720) as b:
            b.get(page.as_uri())
            wait_for(b, "window.dancegenPlayer && window.dancegenPlayer.ready")
            b.execute_script("const p = window.dancegenPlayer; p.orbit.az += 0.5; p.orbit.el = 0.3; p.seek(9.5); p.play();")
            time.sleep(1.2)
            b.execute_script("window.dancegenPlayer.pause()")
            time.sleep(0.3)
            b.save_screenshot(str(out))
            errors = console_errors(b)
    print(f"wrote {out}" + (f"; console errors: {errors}" if errors else ""))


def app_shot(out: Path):
    import socket

    import uvicorn
    from browser import chrome, console_errors, wait_for
    from dancegen.app.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(tmp)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        th = threading.Thread(target=server.run, daemon=True)
        th.start()
        while not server.started:
            time.sleep(0.05)
        app.state.warmed.wait(120)
        try:
            with chrome(1360, 860) as b:
                b.get(f"http://127.0.0.1:{port}/")
                wait_for(b, "window.dancegenApp && window.dancegenApp.options")
                b.find_element("id", "music").send_keys(str(REPO / "examples" / "music" / "metal_madness.ogg"))
                for k, v in {"start": 30, "duration": 20, "seed": 1}.items():
                    el = b.find_element("id", k)
                    el.clear()
                    el.send_keys(str(v))
                b.find_element("id", "go").click()
                wait_for(b, "window.dancegenApp.state === 'done'", timeout=180)
                b.switch_to.frame(b.find_element("id", "player"))
                wait_for(b, "window.dancegenPlayer && window.dancegenPlayer.ready")
                b.find_element("id", "play").click()
                time.sleep(2.5)
                b.find_element("id", "play").click()
                b.switch_to.default_content()
                time.sleep(0.3)
                b.save_screenshot(str(out))
                errors = console_errors(b)
        finally:
            server.should_exit = True
            th.join(timeout=20)
    print(f"wrote {out}" + (f"; console errors: {errors}" if errors else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("player", "app"))
    a = ap.parse_args()
    IMG.mkdir(parents=True, exist_ok=True)
    if a.only in (None, "player"):
        player_shot(IMG / "player.png")
    if a.only in (None, "app"):
        app_shot(IMG / "app.png")


if __name__ == "__main__":
    main()
