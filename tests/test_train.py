"""Training: determinism, interruption and resume, export, generation with the trained file.

Uses a tiny model on synthetic dances (a swaying skeleton on a 120 BPM click track, real audio
pipeline), stored as a folder of dance .npz files: the same code path as any user data folder."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen.dance import Dance

BASE = np.array([[960, 300], [960, 360], [900, 360], [880, 450], [870, 530], [1020, 360], [1040, 450],
                 [1050, 530], [920, 560], [915, 700], [910, 840], [1000, 560], [1005, 700], [1010, 840],
                 [950, 290], [970, 290], [935, 300], [985, 300]], np.float32)

# three real training runs (Lightning, a few epochs each): about a minute on 2 cores
pytestmark = pytest.mark.slow


def _click_track(path, seconds, bpm=120.0, sr=22050):
    y = np.zeros(int(seconds * sr), np.float32)
    for t in np.arange(0, seconds, 60.0 / bpm):
        i = int(t * sr)
        y[i:i + 400] += np.hanning(800)[400:] * np.sin(2 * np.pi * 1500 * np.arange(400) / sr)
    sf.write(path, y, sr)


def _sway(T, fps, phase):
    t = np.arange(T) / fps
    kp = np.repeat(BASE[None], T, axis=0).copy()
    s = np.sin(2 * np.pi * 1.0 * t + phase)[:, None]
    kp[:, [3, 4], 1] += 40 * s            # right arm up and down at the beat rate
    kp[:, [6, 7], 1] -= 40 * s
    kp[:, :, 0] += 30 * np.sin(2 * np.pi * 0.25 * t + phase)[:, None]
    return kp


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("npzdata")
    wav = d / "clicks.wav"
    _click_track(wav, 14.0)
    for i in range(3):
        Dance(_sway(250, 25.0, i), 25.0, music=str(wav), offset=2.0, genre="waltz", name=f"d{i}").save(d / f"d{i}.npz")
    (d / "val.txt").write_text("d2\n")
    return d


def _config(tmp, data_dir, **kw):
    cfg = dict(data=str(data_dir), out=str(tmp), window=16, stride=8, batch_size=4, max_epochs=2, max_minutes=0,
               enc_hidden=8, dec_hidden=16, dec_layers=1, augment_yaw=0, ckpt_every_steps=2, seed=7,
               sampling_start_epoch=0, sampling_ramp_epochs=1)
    cfg.update(kw)
    p = Path(tmp).with_suffix(".json")
    p.write_text(json.dumps(cfg))
    return p


def _weights(path):
    from dancegen.model.format import read_model

    return read_model(path)[1]


def _run(args, **kw):
    env = dict(os.environ, DANCEGEN_CACHE=kw.pop("cache"))
    return subprocess.Popen([sys.executable, "-m", "dancegen", "train", "--quiet", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_same_seed_gives_the_same_model_and_generation_works(data_dir, tmp_path):
    cache = str(tmp_path / "cache")
    outs = []
    for name in ("a", "b"):
        p = _run(["--config", str(_config(tmp_path / name, data_dir, max_epochs=1))], cache=cache)
        log = p.communicate(timeout=300)[0]
        assert p.returncode == 0, log
        outs.append(tmp_path / name / "model.safetensors")
    wa, wb = _weights(outs[0]), _weights(outs[1])
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    info = json.loads((tmp_path / "a" / "train_info.json").read_text())
    assert info["global_step"] > 0 and info["train_clips"] == ["d0", "d1"] and info["val_clips"] == ["d2"]
    # the exported file is a working model for the generator
    from dancegen import generate

    d = generate(str(data_dir / "clicks.wav"), model=outs[0], duration=3.0, fps=30)
    assert d.keypoints.shape == (90, 18, 2) and np.isfinite(d.keypoints).all()


def test_killed_mid_epoch_resumes_where_it_stopped(data_dir, tmp_path):
    cache = str(tmp_path / "cache")
    cfg = _config(tmp_path / "run", data_dir, max_epochs=3)
    ckpt = tmp_path / "run" / "last.ckpt"
    p = _run(["--config", str(cfg)], cache=cache)
    killed_at = None
    deadline = time.time() + 240
    while time.time() < deadline and p.poll() is None:
        if ckpt.exists():
            try:
                step = torch.load(ckpt, map_location="cpu", weights_only=True)["global_step"]
            except Exception:
                step = 0
            if step >= 4:
                p.send_signal(signal.SIGKILL)
                killed_at = step
                break
        time.sleep(0.2)
    p.wait(timeout=30)
    assert killed_at is not None, "training ended before it could be interrupted"
    assert not (tmp_path / "run" / "model.safetensors").exists()
    p2 = _run(["--config", str(cfg)], cache=cache)
    log = p2.communicate(timeout=300)[0]
    assert p2.returncode == 0, log
    assert "resuming from" in log
    info = json.loads((tmp_path / "run" / "train_info.json").read_text())
    assert info["resumed"] is True
    # a full uninterrupted run of the same config takes exactly as many steps
    ref = _run(["--config", str(_config(tmp_path / "ref", data_dir, max_epochs=3))], cache=cache)
    ref_log = ref.communicate(timeout=300)[0]
    assert ref.returncode == 0, ref_log
    ref_info = json.loads((tmp_path / "ref" / "train_info.json").read_text())
    assert info["global_step"] == ref_info["global_step"]
    assert info["epochs"] == ref_info["epochs"]
    assert killed_at < ref_info["global_step"]


def test_snapshot_exports_the_run_at_a_smaller_budget(data_dir, tmp_path):
    """snapshot_minutes: the run is also exported once its training time passes each budget (the full
    model at the ablations' budget in the report); the snapshot is a working model taken mid-run."""
    cache = str(tmp_path / "cache")
    p = _run(["--config", str(_config(tmp_path / "s", data_dir, max_epochs=3, max_minutes=30,
                                      snapshot_minutes=[0.001]))], cache=cache)
    log = p.communicate(timeout=300)[0]
    assert p.returncode == 0, log
    snap = tmp_path / "s" / "at_0.001min"
    info = json.loads((snap / "train_info.json").read_text())
    final = json.loads((tmp_path / "s" / "train_info.json").read_text())
    assert 0 < info["global_step"] < final["global_step"] and info["train_minutes"] >= 0.001
    from dancegen import generate

    d = generate(str(data_dir / "clicks.wav"), model=snap / "model.safetensors", duration=2.0)
    assert d.keypoints.shape == (50, 18, 2) and np.isfinite(d.keypoints).all()
    # a snapshot past the budget is refused with a one-line error
    bad = _run(["--config", str(_config(tmp_path / "t", data_dir, max_minutes=5, snapshot_minutes=[10]))], cache=cache)
    out = bad.communicate(timeout=120)[0]
    assert bad.returncode != 0 and "snapshot_minutes" in out and "Traceback" not in out
