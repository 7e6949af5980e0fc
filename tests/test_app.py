"""``dancegen serve``: the web app over real HTTP (uvicorn on a free port in a thread), and end to
end in a headless Chromium: upload, progress, the player in its iframe, downloads, bad uploads."""
from __future__ import annotations

import inspect
import json
import os
import socket
import subprocess
import sys
import threading
import time
import typing
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import fastapi  # noqa: F401  (dependencies in pyproject.toml: missing is an error, never a skip)
import numpy as np
import pytest
import uvicorn

from browser import chrome, console_errors, missing, requested_urls, sample_after_a_tick, wait_for
from conftest import REPO
from dancegen.dance import Dance
from dancegen.app import server as srv

MUSIC = REPO / "examples" / "music" / "metal_madness.ogg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn running ``app`` on 127.0.0.1 in a thread."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        end = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > end or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=20)

    # -- tiny HTTP client
    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def get_json(self, path):
        code, body, _ = self.get(path)
        return code, json.loads(body)

    def post(self, fields: dict, file: tuple | None):
        """multipart/form-data POST to /api/jobs; ``file`` = (filename, bytes)."""
        b = uuid.uuid4().hex
        parts = []
        for k, v in fields.items():
            parts.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        if file is not None:
            parts.append(f'--{b}\r\nContent-Disposition: form-data; name="music"; filename="{file[0]}"\r\n'
                         f'Content-Type: application/octet-stream\r\n\r\n'.encode() + file[1] + b"\r\n")
        body = b"".join(parts) + f"--{b}--\r\n".encode()
        req = urllib.request.Request(self.url + "/api/jobs", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={b}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def wait(self, jid, states=("done", "error"), timeout=120):
        end = time.monotonic() + timeout
        while True:
            code, st = self.get_json(f"/api/jobs/{jid}")
            assert code == 200, st
            if st["state"] in states:
                return st
            assert time.monotonic() < end, st
            time.sleep(0.2)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    app = srv.create_app(tmp_path_factory.mktemp("serve"), max_music_seconds=15 * 60)
    with Server(app) as s:
        yield s


# ------------------------------------------------------------------------------- no browser
def test_generator_options_follow_the_signature():
    def today(music, *, start=0.0, duration=None, seed=0, genre=None, progress=False):
        pass

    def tomorrow(music, *, start=0.0, duration=None, seed=0, genre=None,
                 temperature: float = 0.8, camera: typing.Literal["front", "orbit", "side"] = "front"):
        pass

    p = srv.generator_params(today)
    assert "temperature" not in p and "camera" not in p and "progress" in p
    p = srv.generator_params(tomorrow)
    assert p["temperature"].default == 0.8 and srv._choices(p, "camera") == ["front", "orbit", "side"]
    # the package's own: dancegen.generate(music, **kwargs) is looked through to generate_api
    p = srv.generator_params()
    assert {"start", "duration", "seed", "genre"} <= set(p)
    assert all(q.kind is not inspect.Parameter.VAR_KEYWORD for q in p.values())


def test_bad_uploads_get_a_clear_message(tmp_path):
    app = srv.create_app(tmp_path, max_upload_bytes=2_000_000, max_music_seconds=60, warm=False)
    with Server(app) as s:
        song = MUSIC.read_bytes()
        cases = [
            ({}, None, 400, "no music file"),
            ({}, ("empty.ogg", b""), 400, "is empty"),
            ({}, ("notes.txt", b"these are not sounds\n" * 50), 400, "not an audio file"),
            ({}, ("song.ogg", song), 400, "minutes long"),            # 144 s > 60 s limit
            ({}, ("big.ogg", song + b"\0" * 1_000_000), 413, "too big"),
            ({"duration": "lots"}, ("song.ogg", song[:200_000]), 400, "duration"),
        ]
        for fields, file, code, text in cases:
            got, body = s.post(fields, file)
            assert got == code and text in body["error"], (fields, file and file[0], got, body)
            assert "Traceback" not in body["error"]
        assert s.get_json("/api/jobs/" + "0" * 32) == (404, {"error": "no such dance (the server may have restarted); upload the music again"})
        assert s.get("/api/jobs/../../etc/passwd")[0] == 404
        assert list(tmp_path.iterdir()) == []                      # refused uploads leave nothing


@pytest.mark.slow
def test_two_users_get_their_own_results(app_server):
    s = app_server
    song = MUSIC.read_bytes()
    out = {}

    def user(seed):
        out[seed] = s.post({"seed": seed, "start": 30, "duration": 4}, ("metal_madness.ogg", song))

    threads = [threading.Thread(target=user, args=(k,)) for k in (1, 2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    ids = {k: v[1]["id"] for k, v in out.items()}
    assert ids[1] != ids[2] and all(v[0] == 200 for v in out.values())
    dances = {}
    for k, jid in ids.items():
        st = s.wait(jid)
        assert st["state"] == "done" and st["options"]["seed"] == k, st
        code, body, headers = s.get(st["files"]["npz"])
        assert code == 200 and "metal_madness_dance.npz" in headers.get("content-disposition", "")
        assert (s.app.state.jobs.root / jid).is_dir()
        f = s.app.state.jobs.root / jid / "got.npz"
        f.write_bytes(body)
        dances[k] = Dance.load(f)
        assert dances[k].n_frames == 100 and dances[k].music == "metal_madness.ogg"
        code, body, _ = s.get(st["files"]["mp4"])
        assert code == 200 and body[4:8] == b"ftyp"
    assert not np.allclose(dances[1].keypoints, dances[2].keypoints)


def test_exports_are_offered_only_when_dancegen_export_exists(tmp_path, monkeypatch):
    import dancegen
    from dancegen.render.synthetic import swaying_dance_3d

    def fake_generate(music, *, start=0.0, duration=None, seed=0, genre=None):
        return swaying_dance_3d(int(round(duration * 25)), music=str(music), offset=start)

    calls = []

    def fake_export(dance, fmt, out, force=False):
        calls.append((fmt, Path(out).name, force))
        out = Path(out)
        if fmt == "openpose-json":          # a folder of per-frame files
            out.mkdir()
            for t in range(3):
                (out / f"{t:06d}_keypoints.json").write_text("{}")
        else:
            out.write_text("HIERARCHY\n")
        return out

    app = srv.create_app(tmp_path, generate=fake_generate, warm=False)
    with Server(app) as s:
        monkeypatch.setattr(srv, "export_function", lambda: None)       # as before the export lands
        assert s.get_json("/api/options")[1]["exports"] == []
        code, job = s.post({"duration": 2}, ("song.ogg", MUSIC.read_bytes()))
        st = s.wait(job["id"])
        assert "bvh" not in st["files"]
        assert s.get(f"/api/jobs/{job['id']}/download/bvh")[0] == 404
        monkeypatch.setattr(dancegen, "export", fake_export, raising=False)
        monkeypatch.setattr(srv, "export_function", srv.__dict__["_export_function_impl"])
        assert srv.export_function() is fake_export
        assert [e["kind"] for e in s.get_json("/api/options")[1]["exports"]] == ["bvh", "openpose"]
        st = s.get_json(f"/api/jobs/{job['id']}")[1]
        code, body, h = s.get(st["files"]["bvh"])
        assert code == 200 and body == b"HIERARCHY\n" and "song_dance.bvh" in h["content-disposition"]
        code, body, h = s.get(st["files"]["openpose"])
        assert code == 200 and body[:2] == b"PK" and "song_dance_openpose.zip" in h["content-disposition"]
        assert calls == [("bvh", "song_dance.bvh", True), ("openpose-json", "song_dance_openpose", True)]


def _fake_generate(music, *, start=0.0, duration=None, seed=0, genre=None):
    from dancegen.render.synthetic import swaying_dance_3d

    return swaying_dance_3d(int(round(duration * 25)), music=str(music), offset=start)


def _half_written_then_fails(what):
    """A writer that leaves part of its file where it was told to write, then fails (a full disk,
    a crash of ffmpeg...)."""
    from dancegen.render.video import RenderError

    def writer(dance, out, *args, **kw):
        Path(out).write_bytes(b"\0\0\0\x18ftypisom half of a " + what.encode())
        raise RenderError(f"{out}: {what} failed half way (disk full)")

    return writer


def _files_in(folder: Path) -> set:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_a_job_step_that_fails_serves_nothing_half_made_and_leaves_no_temporaries(tmp_path, monkeypatch):
    """A job's files go through fileio.OutputSet: the npz and the player are committed together,
    then the mp4; a step that fails half way leaves none of its files, none is served, and no
    staging folder, temporary file or lock is left in the job's folder."""
    import dancegen.render.html as html
    import dancegen.render.video as video

    app = srv.create_app(tmp_path, generate=_fake_generate, warm=False)
    song = MUSIC.read_bytes()[:300_000]
    with Server(app) as s:
        # the player fails after the npz was written: the job fails and its npz is not served
        monkeypatch.setattr(html, "write_player", _half_written_then_fails("the player"))
        code, job = s.post({"duration": 2}, ("song.ogg", song))
        assert code == 200, job
        st = s.wait(job["id"])
        assert st["state"] == "error" and "the player failed half way" in st["error"] and st["files"] == {}, st
        for kind, want in (("npz", 409), ("mp4", 409), ("bvh", 409)):
            assert s.get(f"/api/jobs/{job['id']}/download/{kind}")[0] == want, kind
        assert s.get(f"/api/jobs/{job['id']}/player")[0] == 404
        assert _files_in(tmp_path / job["id"]) == {"music", "music/song.ogg"}
        monkeypatch.undo()

        # the video fails half way: the dance and its player are served, no mp4 (whole or half)
        monkeypatch.setattr(video, "render_video", _half_written_then_fails("the video"))
        code, job = s.post({"duration": 2}, ("song.ogg", song))
        st = s.wait(job["id"])
        assert st["state"] == "done" and st["stage"] == "done (no video)" and "mp4" not in st["files"], st
        assert "the video failed half way" in st["message"]
        assert s.get(f"/api/jobs/{job['id']}/download/mp4")[0] == 409
        code, body, _ = s.get(st["files"]["npz"])
        assert code == 200
        got = tmp_path / "got.npz"
        got.write_bytes(body)
        assert Dance.load(got).n_frames == 50
        monkeypatch.undo()
        assert s.get(st["files"]["bvh"])[0] == 200          # an export, staged and committed too
        assert _files_in(tmp_path / job["id"]) == {"music", "music/song.ogg", "song_dance.npz", "player.html",
                                                   "export", "export/song_dance.bvh"}


def test_leftovers_of_a_killed_server_are_removed_when_the_next_one_starts(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        job = tmp_path / uuid.uuid4().hex
        (job / "music").mkdir(parents=True)
        (job / "music" / "song.ogg").write_bytes(b"OggS")
        (job / "song_dance.npz").write_bytes(b"a whole npz")
        half = job / f".dancegen-stage-{dead.pid}-a1b2"            # killed while rendering
        half.mkdir()
        (half / "song_dance.mp4").write_bytes(b"half a video")
        (job / f".tmp-{dead.pid}-x9.mp4").write_bytes(b"half a video")
        (job / ".song_dance.mp4.lock").write_text(f"{dead.pid} 0123abcd\n")
        commit = job / f".dancegen-stage-{dead.pid}-c3d4"         # killed while moving a set into place
        commit.mkdir()
        (commit / "player.html").write_text("<html>the player</html>")
        (commit / "COMMIT.json").write_text(json.dumps({"replace": ["player.html"], "remove": []}))
        (job / "export").mkdir()
        (job / "export" / f".tmp-{dead.pid}-y7.bvh").write_text("HIERARCHY (half)")
        busy = job / "export" / f".tmp-{alive.pid}-z5.bvh"        # another server's, still running
        busy.write_text("HIERARCHY (being written)")

        jobs = srv.JobManager(tmp_path)
        jobs.close()
        assert _files_in(job) == {"music", "music/song.ogg", "song_dance.npz", "player.html", "export",
                                  f"export/{busy.name}"}
        assert (job / "player.html").read_text() == "<html>the player</html>"
        again = srv.JobManager(tmp_path)
        assert again.clean_stale() == []                            # nothing more to do
        again.close()
    finally:
        alive.kill()
        alive.wait()


@pytest.mark.slow
def test_serve_command_binds_localhost(tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.Popen([sys.executable, "-m", "dancegen", "serve", "--port", str(port)], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                assert p.poll() is None and time.monotonic() < end, p.stderr.read() if p.poll() is not None else "timeout"
                time.sleep(0.3)
        assert "Make the dance" in page
        # a second server on the same port says so in one line
        r = subprocess.run([sys.executable, "-m", "dancegen", "serve", "--port", str(port)], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "pass another --port" in r.stderr and "Traceback" not in r.stderr
    finally:
        p.terminate()
        p.wait(timeout=20)
    assert f"http://127.0.0.1:{port}/" in p.stderr.read()


# ------------------------------------------------------------------------------ in a browser
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    why = missing()
    if why:
        pytest.skip(f"browser test: {why}")
    dl = tmp_path_factory.mktemp("downloads")
    with chrome(1360, 900, download_dir=str(dl)) as driver:
        driver.download_dir = dl
        yield driver


def _fill(driver, **values):
    for k, v in values.items():
        el = driver.find_element("id", k)
        el.clear()
        el.send_keys(str(v))


@pytest.mark.slow
@pytest.mark.browser
def test_app_end_to_end_in_a_browser(app_server, browser):
    b, s = browser, app_server
    console_errors(b), requested_urls(b)
    b.get(s.url + "/")
    wait_for(b, "window.dancegenApp && window.dancegenApp.options")
    assert len(b.find_element("id", "genre").find_elements("tag name", "option")) > 5
    b.find_element("id", "music").send_keys(str(MUSIC))
    _fill(b, start=20, duration=8, seed=3)
    b.find_element("id", "go").click()
    wait_for(b, "document.getElementById('progress-box').hidden === false", timeout=10)
    wait_for(b, "window.dancegenApp.state === 'done'", timeout=120)
    assert b.find_element("id", "error").is_displayed() is False
    links = {a.get_attribute("id") for a in b.find_elements("css selector", "#downloads a")}
    assert {"download-npz", "download-mp4"} <= links

    b.switch_to.frame(b.find_element("id", "player"))
    try:
        wait_for(b, "window.dancegenPlayer && window.dancegenPlayer.ready")
        assert b.execute_script("return window.dancegenPlayer.nFrames") == 200
        b.find_element("id", "play").click()
        time.sleep(1.5)
        frame, t, _ = sample_after_a_tick(b)
        assert t > 0.8 and abs(frame - int(t * 25)) <= 1
    finally:
        b.switch_to.default_content()

    b.find_element("id", "download-npz").click()
    f = b.download_dir / "metal_madness_dance.npz"
    end = time.monotonic() + 20
    while not f.exists() and time.monotonic() < end:
        time.sleep(0.2)
    d = Dance.load(f)
    assert d.n_frames == 200 and d.offset == pytest.approx(20.0) and d.meta is not None
    assert console_errors(b) == []
    urls = requested_urls(b)
    assert all(u.startswith((s.url, "blob:", "data:")) for u in urls), urls


@pytest.mark.slow
@pytest.mark.browser
def test_app_bad_upload_message_in_the_page(app_server, browser, tmp_path):
    b, s = browser, app_server
    b.get(s.url + "/")
    wait_for(b, "window.dancegenApp && window.dancegenApp.options")
    bad = tmp_path / "holiday.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3000))
    b.find_element("id", "music").send_keys(str(bad))
    b.find_element("id", "go").click()
    msg = wait_for(b, "window.dancegenApp.error", timeout=30)
    el = b.find_element("id", "error")
    assert el.is_displayed() and "holiday.png" in el.text and "audio" in el.text
    assert "Traceback" not in b.page_source and msg == el.text
    assert b.find_element("id", "go").is_enabled()


@pytest.mark.slow
@pytest.mark.browser
def test_app_with_a_3d_generator_passes_temperature_and_camera(tmp_path, browser):
    from dancegen.render.synthetic import swaying_dance_3d

    got = {}

    def gen3d(music, *, start=0.0, duration=None, seed=0, genre=None, temperature: float = 0.7,
              camera: typing.Literal["front", "orbit"] = "front"):
        got.update(temperature=temperature, camera=camera, seed=seed)
        return swaying_dance_3d(int(round(duration * 25)), music=str(music), offset=start)

    b = browser
    console_errors(b)                      # drop what earlier tests logged
    with Server(srv.create_app(tmp_path, generate=gen3d, warm=False)) as s:
        b.get(s.url + "/")
        wait_for(b, "window.dancegenApp && window.dancegenApp.options")
        assert b.find_element("id", "temperature").get_attribute("value") == "0.7"
        from selenium.webdriver.support.ui import Select

        Select(b.find_element("id", "camera")).select_by_value("orbit")
        b.find_element("id", "music").send_keys(str(MUSIC))
        _fill(b, duration=3, temperature=1.25)
        b.find_element("id", "go").click()
        wait_for(b, "window.dancegenApp.state === 'done'", timeout=120)
        assert got == {"temperature": 1.25, "camera": "orbit", "seed": 0}
        b.switch_to.frame(b.find_element("id", "player"))
        try:
            wait_for(b, "window.dancegenPlayer && window.dancegenPlayer.ready")
            assert b.execute_script("return window.dancegenPlayer.view3d") is True
        finally:
            b.switch_to.default_content()
        assert console_errors(b) == []


def test_bvh_and_openpose_downloads_with_the_real_export_and_the_3d_model(app_server, tmp_path):
    """The bundled (3D) model through the app, then the real dancegen.export behind the BVH and
    OpenPose-JSON downloads: a BVH file and a zip of one JSON per frame."""
    import io
    import zipfile

    s = app_server
    code, job = s.post({"seed": 3, "start": 30, "duration": 3}, ("metal_madness.ogg", MUSIC.read_bytes()))
    assert code == 200
    st = s.wait(job["id"])
    assert st["state"] == "done", st
    code, body, _ = s.get(f"/api/jobs/{job['id']}/download/bvh")
    assert code == 200 and body.startswith(b"HIERARCHY") and b"Frames: 75" in body
    code, body, _ = s.get(f"/api/jobs/{job['id']}/download/openpose")
    assert code == 200
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert len([n for n in names if n.endswith("_keypoints.json")]) == 75
