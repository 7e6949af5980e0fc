"""The bundled 3D model on the shared real songs (real-data tests: ../shared/music): the
beat-on-any-tempo issue's points 1 and 2 on songs, not only on click tracks.

* Beat: on each of the four sectoid songs and the nine varied songs (72-172 BPM), a 60-s dance
  (seed 0, the bench's window: benchmarks/bench_beat_any_tempo.py) has a Bailando beat-align score
  over all music beats (sigma 0.05 s) of at least 0.25, and a beat alignment error over the beats
  it set out to hit (every beat, or every second one above 160 BPM) of at most 0.12 s.
* Whole song: on nebula (317 s, the one shared song of 5 minutes or more), every 10-s window's mean
  joint speed is within 0.6 to 1.5 of the real dances' mean, no more 2-s windows nearly repeat an
  earlier one than in the real val takes, and motion energy rises with loudness
  (dancegen.evaluate.longform; scripts/long_song3d.py prints the same figures)."""
import numpy as np
import pytest

from dancegen.metrics.beat import beat_metrics, danced_beat_error
from dancegen.model.generate3d import Generate3DOptions, generate_dance3d, load_generator

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
SECTOID = ["escape_from_chaosland", "feelings", "metal_madness", "war_of_freedom"]
VARIED = ["hr-domina-mountain", "hr-savino-caribbean", "hr3-caves", "hr3-jungle", "hr3-laboratory", "hr3-motion",
          "hr3-rlyeh", "nebula", "through_space"]


@pytest.fixture(scope="module")
def bundle():
    return load_generator(None)


def _song(kind, name, sectoid_dir, varied_dir):
    p = sectoid_dir / name / "song.ogg" if kind == "sectoid" else varied_dir / f"{name}.ogg"
    assert p.exists(), f"{p}: a song of ../shared/music is missing"
    return p


@pytest.mark.parametrize("kind,name", [("sectoid", n) for n in SECTOID] + [("varied", n) for n in VARIED])
def test_hits_the_beat_on_every_shared_song(bundle, kind, name, sectoid_dir, varied_dir):
    from dancegen.audio.beats import beats_for_file
    from dancegen.audio.io import audio_duration

    path = _song(kind, name, sectoid_dir, varied_dir)
    dur = min(60.0, audio_duration(path))
    d = generate_dance3d(path, bundle, Generate3DOptions(duration=dur, seed=0, progress=False))
    music = beats_for_file(path, duration=dur).beats
    m = beat_metrics(d.keypoints, d.fps, music, offset=d.offset)
    span = (d.offset, d.offset + (len(d.keypoints) - 1) / d.fps)
    err, share = danced_beat_error(m["motion_beats"], music, d.meta["beats"], span)
    assert share > 0.9 or 0.4 < share < 0.6, (share, d.meta["tempo"])    # every beat, or every second one
    assert m["bas_bailando"] >= 0.25 and err <= 0.12, (m["bas_bailando"], err, d.meta["tempo"])


def test_a_whole_long_song_keeps_moving_without_looping_and_follows_loudness(bundle, dwm_dir, varied_dir):
    from dancegen.evaluate import longform as L
    from dancegen.evaluate.realism import real_takes
    from dancegen.skeleton import joint_speed

    real = real_takes(dwm_dir, "val", bundle.ref_lengths) + real_takes(dwm_dir, "train", bundle.ref_lengths)
    real_speed = float(np.mean(np.concatenate([joint_speed(t["joints"], 25.0, difference="steps") for t in real])))
    real_rep = float(np.mean([L.repetition(t["joints"], 25.0) for t in real[:4]]))   # the val takes
    song = _song("varied", "nebula", None, varied_dir)
    d = generate_dance3d(song, bundle, Generate3DOptions(seed=0, progress=False))
    assert d.duration > 300
    ws = L.window_speed(d.joints3d, d.fps) / real_speed
    assert 0.6 <= ws.min() and ws.max() <= 1.5, (ws.min(), ws.max())
    assert L.repetition(d.joints3d, d.fps) <= real_rep, real_rep
    assert L.loudness_corr(d.joints3d, d.fps, song, 0.0) > 0.05
