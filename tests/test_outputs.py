"""Outputs: checked before any work, written together (dance.npz and dance.mp4 always from the same
run), locked against a second run, never through a symbolic link, and no leftovers after SIGTERM or
(at the next run) SIGKILL. See dancegen/fileio.py (OutputSet, OutputLock, clean_stale)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dancegen import fileio
from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.errors import OutputError

REPO = Path(__file__).resolve().parents[1]
SONG = REPO / "examples" / "music" / "metal_madness.ogg"


def _gen(out, *extra) -> int:
    return main(["generate", str(SONG), "-o", str(out), "--duration", "3", "--size", "160x90", "-q", *extra])


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.fixture(scope="module")
def old_pair(tmp_path_factory):
    """A folder with a dance.npz and dance.mp4 from one run (seed 0)."""
    out = tmp_path_factory.mktemp("old") / "o"
    assert _gen(out) == 0
    return out


def _copy_pair(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for name in ("dance.npz", "dance.mp4"):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_a_run_interrupted_in_the_video_step_keeps_the_old_pair(old_pair, tmp_path, monkeypatch, capsys):
    out = _copy_pair(old_pair, tmp_path / "o")
    before = _snapshot(out)
    import dancegen.render.video as video

    def broken_render(dance, path, **kw):
        Path(path).write_bytes(b"half a video")
        raise KeyboardInterrupt

    monkeypatch.setattr(video, "render_video", broken_render)
    assert _gen(out, "--force", "--seed", "1") == 130
    assert "interrupted" in capsys.readouterr().err
    assert _snapshot(out) == before           # no new npz next to the old mp4, no staging folder, no lock


def test_no_video_with_force_removes_the_old_video(old_pair, tmp_path):
    out = _copy_pair(old_pair, tmp_path / "o")
    assert _gen(out, "--no-video") == 2       # replacing (here: removing) the old video needs --force
    assert _gen(out, "--no-video", "--force", "--seed", "2") == 0
    assert sorted(os.listdir(out)) == ["dance.npz"]


def test_bad_size_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "new"
    assert _gen(out, "--size", "2x2") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--size 2x2" in err[0]
    assert not out.exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_in_the_video_step(old_pair, tmp_path, sig, capsys):
    """A real run, signalled while it renders: the old pair stays; a second run into the folder meanwhile
    fails at once; SIGTERM leaves nothing behind, SIGKILL's leftovers go at the next run."""
    out = _copy_pair(old_pair, tmp_path / "o")
    before = _snapshot(out)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    p = subprocess.Popen([sys.executable, "-m", "dancegen", "generate", str(SONG), "-o", str(out), "--duration", "120",
                          "--size", "320x180", "-q", "--force"], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    in_video = False
    deadline = time.time() + 240
    try:
        while time.time() < deadline and p.poll() is None:
            stages = [d for d in out.iterdir() if d.name.startswith(fileio.STAGE_PREFIX)]
            if stages and any(f.name.startswith(fileio.TMP_PREFIX) and f.suffix == ".mp4" for f in stages[0].iterdir()):
                in_video = True
                break
            time.sleep(0.02)
        assert in_video, "the run ended before its video step could be interrupted"
        t0 = time.time()
        assert _gen(out, "--force") == 2       # the folder is in use
        err = capsys.readouterr().err.strip().splitlines()
        assert time.time() - t0 < 30 and len(err) == 1 and f"pid {p.pid}" in err[0] and "another dancegen run" in err[0]
        p.send_signal(sig)
        _, perr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == (143 if sig == signal.SIGTERM else -9)
    time.sleep(0.3)                            # the killed run's ffmpeg sees its input close
    kept = {k: v for k, v in _snapshot(out).items() if not k.startswith(".")}
    assert kept == before                      # the old pair, untouched
    if sig == signal.SIGTERM:
        assert "terminated" in perr and len(perr.strip().splitlines()) == 1
        assert sorted(os.listdir(out)) == ["dance.mp4", "dance.npz"]
    else:
        left = [n for n in os.listdir(out) if n.startswith(".")]
        assert any(n.startswith(fileio.STAGE_PREFIX) for n in left) and ".dance.npz.lock" in left
        assert _gen(out, "--force", "--seed", "3") == 0   # stale lock taken over, leftovers removed
        assert sorted(os.listdir(out)) == ["dance.mp4", "dance.npz"]


# ------------------------------------------------------------------------------------------ links
def test_no_writes_through_symbolic_links(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linkdir").symlink_to(real)
    assert _gen(tmp_path / "linkdir") == 2
    assert "symbolic link" in capsys.readouterr().err and not any(real.iterdir())

    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"precious")
    (tmp_path / "link.npz").symlink_to(victim)
    dance = Dance(np.random.default_rng(0).uniform(100, 900, (30, 18, 2)).astype(np.float32), 25.0)
    npz = dance.save(tmp_path / "d.npz")
    cases = [["features", str(SONG), "--duration", "2", "-o", str(tmp_path / "link.npz"), "--force"],
             ["features", str(SONG), "--duration", "2", "-o", str(tmp_path / "linkdir" / "f.npz")],
             ["repair", str(npz), "-o", str(tmp_path / "link.npz"), "--force"],
             ["render", str(npz), "--sheet", str(tmp_path / "linkdir" / "s.png")]]
    for argv in cases:
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "symbolic link" in err[0], argv
    assert victim.read_bytes() == b"precious" and not any(real.iterdir())


# ------------------------------------------------------------------------------------------ before the work
def _must_not_run(*a, **k):
    raise AssertionError("the work started although the output cannot be written")


def test_outputs_are_checked_before_any_work(tmp_path, monkeypatch, capsys):
    import importlib

    quality = importlib.import_module("dancegen.evaluate.quality")
    report = importlib.import_module("dancegen.evaluate.report")
    repair = importlib.import_module("dancegen.feedback.repair")
    g3 = importlib.import_module("dancegen.model.generate3d")

    monkeypatch.setattr(g3, "load_generator", _must_not_run)
    monkeypatch.setattr(quality, "evaluate", _must_not_run)
    monkeypatch.setattr(report, "_load_clips", _must_not_run)
    monkeypatch.setattr(repair, "repair", _must_not_run)
    afile = tmp_path / "afile"
    afile.write_text("x")
    existing = tmp_path / "res.json"
    existing.write_text("{}")
    data = tmp_path / "data"
    data.mkdir()
    npz = Dance(np.random.default_rng(0).uniform(100, 900, (30, 18, 2)).astype(np.float32), 25.0).save(
        tmp_path / "d.npz")
    ro = tmp_path / "readonly"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(fileio.os, "access",
                        lambda p, m, **k: False if Path(p) == ro and m & os.W_OK else real_access(p, m, **k))
    cases = [
        (["generate", str(SONG), "-o", str(afile / "o")], "afile is a file"),
        (["generate", str(SONG), "-o", str(ro)], "not writable"),
        (["evaluate", "--music", str(SONG), "-o", str(existing)], "exists; pass --force"),
        (["evaluate", "--music", str(SONG), "-o", str(afile / "r.json")], "afile: exists and is not a folder"),
        (["evaluate", "--music", str(SONG), "-o", str(ro / "r.json")], "not writable"),
        (["report", "-o", str(ro / "rep"), "--data", str(data), "--models-dir", str(tmp_path), "--music"],
         "not writable"),
        (["repair", str(npz), "-o", str(afile / "r.npz")], "afile: exists and is not a folder"),
        (["features", str(SONG), "-o", str(ro / "f.npz")], "not writable"),
    ]
    for argv, needle in cases:
        rc = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and needle in err[0], (argv, err)
    assert existing.read_text() == "{}"


def test_evaluate_json_output_is_valid_json(tmp_path, monkeypatch, capsys):
    import importlib

    quality = importlib.import_module("dancegen.evaluate.quality")
    monkeypatch.setattr(quality, "evaluate", lambda *a, **k: {"fid": float("nan"), "bas": np.float32(0.5),
                                                             "rows": [float("inf"), 1.0]})
    out = tmp_path / "r.json"
    assert main(["evaluate", "--music", str(SONG), "-o", str(out), "--json"]) == 0
    strict = dict(parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert json.loads(out.read_text(), **strict) == {"fid": None, "bas": 0.5, "rows": [None, 1.0]}
    assert json.loads(capsys.readouterr().out, **strict)["fid"] is None
    out.write_text("{}")
    assert main(["evaluate", "--music", str(SONG), "-o", str(out), "--json", "--force"]) == 0
    assert json.loads(out.read_text())["bas"] == 0.5


# ------------------------------------------------------------------------------------------ the mechanism
def test_lock_held_by_a_live_process_refuses_a_dead_ones_is_taken_over(tmp_path):
    target = tmp_path / "x.npz"
    lock = tmp_path / ".x.npz.lock"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(f"{sleeper.pid} abc\n")
        with pytest.raises(OutputError, match=f"another dancegen run \\(pid {sleeper.pid}\\)"):
            with fileio.OutputSet([target]):
                pass
    finally:
        sleeper.kill()
        sleeper.wait()
    lock.write_text(f"{_dead_pid()} abc\n")
    with fileio.OutputSet([target]) as outs:
        outs.path().write_bytes(b"new")
        with pytest.raises(OutputError, match="another dancegen run"):   # held by this very process
            fileio.OutputLock(target).acquire()
        outs.commit()
    assert target.read_bytes() == b"new" and sorted(os.listdir(tmp_path)) == ["x.npz"]


def test_a_commit_cut_short_by_sigkill_is_finished_by_the_next_run(tmp_path):
    (tmp_path / "dance.npz").write_bytes(b"new npz")           # moved already
    (tmp_path / "dance.mp4").write_bytes(b"old mp4")           # not yet
    stage = tmp_path / f"{fileio.STAGE_PREFIX}{_dead_pid()}-zz"
    stage.mkdir()
    (stage / "dance.mp4").write_bytes(b"new mp4")
    (stage / "COMMIT.json").write_text(json.dumps({"replace": ["dance.npz", "dance.mp4"], "remove": []}))
    other = tmp_path / f"{fileio.STAGE_PREFIX}{_dead_pid()}-yy"     # an uncommitted leftover
    other.mkdir()
    (other / "dance.npz").write_bytes(b"partial")
    (tmp_path / f".tmp-{_dead_pid()}-abc.npz").write_bytes(b"partial")
    live = tmp_path / f".tmp-{os.getppid()}-abc.npz"                 # a live writer's: kept
    live.write_bytes(b"in progress")
    with fileio.OutputSet([tmp_path / "dance.npz", tmp_path / "dance.mp4"], force=True):
        pass
    assert (tmp_path / "dance.mp4").read_bytes() == b"new mp4" and (tmp_path / "dance.npz").read_bytes() == b"new npz"
    assert sorted(os.listdir(tmp_path)) == sorted(["dance.mp4", "dance.npz", live.name])


def test_sigterm_raises_so_finally_blocks_run(tmp_path):
    old = fileio.install_signal_handlers()
    tmp = tmp_path / "t"
    try:
        with pytest.raises(fileio.Terminated) as e:
            try:
                tmp.write_text("x")
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            finally:
                tmp.unlink()
        assert e.value.signum == signal.SIGTERM
    finally:
        fileio.restore_signal_handlers(old)
    assert not tmp.exists() and signal.getsignal(signal.SIGTERM) == old[signal.SIGTERM]


def test_json_text_has_no_nan():
    assert fileio.json_text({"a": float("nan"), "b": [np.float64("inf"), np.int64(3)], "c": (1.5,)}) == \
        '{"a": null, "b": [null, 3], "c": [1.5]}'
