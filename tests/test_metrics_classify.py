"""Genre classifier and genre accuracy: synthetic motions of clearly different character, and the
real Dance-with-Melody genres."""
import numpy as np
import pytest

from dancegen.dance import Dance
from dancegen.errors import DataError, ModelError
from dancegen.metrics.classify import GenreClassifier, genre_accuracy, window_features
from metrics_poses import bounce, sway

FPS = 25.0


def synthetic(kind, seed, seconds=12.0):
    rng = np.random.default_rng(seed)
    T = int(seconds * FPS)
    phase = rng.uniform(0, 2 * np.pi)
    if kind == "sway":
        kp = sway(T, FPS, rate_hz=rng.uniform(0.3, 0.7), amp=rng.uniform(25, 60), phase=phase)
    else:
        kp = bounce(T, FPS, rate_hz=rng.uniform(2.0, 3.0), amp=rng.uniform(15, 40), phase=phase)
    kp = kp * rng.uniform(0.6, 1.4) + rng.uniform(-200, 200, size=2)       # size and place vary
    kp += rng.normal(scale=1.5, size=kp.shape)                             # pose-estimation jitter
    return Dance(keypoints=kp, fps=FPS, genre=kind, name=f"{kind}{seed}")


def test_window_features_shape():
    f = window_features(sway(250, FPS), FPS, window_s=4.0, hop_s=2.0)
    assert f.shape == (4, 101)                   # 10 s: windows at 0, 2, 4, 6 s
    assert window_features(sway(30, FPS), FPS).shape == (1, 101)   # shorter than a window


def test_classifies_slow_sway_and_fast_bounce(tmp_path):
    train = [synthetic(k, s) for k in ("sway", "bounce") for s in range(6)]
    test = [synthetic(k, s) for k in ("sway", "bounce") for s in range(100, 105)]
    clf = GenreClassifier().fit(train)
    assert clf.classes_ == ["bounce", "sway"]
    assert [clf.predict(d) for d in test] == [d.genre for d in test]
    assert genre_accuracy(clf, test) == 1.0
    p = clf.predict_proba(test[0])
    assert sum(p.values()) == pytest.approx(1.0) and p["sway"] > 0.9
    # the music's genre is what counts: label the sways "bounce" and accuracy falls to half
    assert genre_accuracy(clf, test, ["bounce"] * len(test)) == 0.5
    # save / load gives the same answers
    path = clf.save(tmp_path / "genre.npz")
    clf2 = GenreClassifier.load(path)
    for d in test[:3]:
        assert clf2.predict_proba(d) == pytest.approx(clf.predict_proba(d))


def test_classifier_errors(tmp_path):
    d = synthetic("sway", 0)
    with pytest.raises(DataError, match="two genres"):
        GenreClassifier().fit([d, synthetic("sway", 1)])
    with pytest.raises(ModelError, match="not trained"):
        GenreClassifier().predict(d)
    with pytest.raises(ModelError, match="no such"):
        GenreClassifier.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="bad.npz"):
        GenreClassifier.load(bad)


@pytest.mark.realdata
def test_dance_with_melody_genres_on_held_out_takes(dwm_dir):
    from dancegen.data.dwm import load_dwm

    train = load_dwm(dwm_dir, split="train", retime=False, progress=False)
    val = load_dwm(dwm_dir, split="val", retime=False, progress=False)
    assert {d.genre for d in val} == {"cha-cha", "rumba", "waltz"}
    clf = GenreClassifier().fit(train)
    # measured: 4 of 4 held-out takes (C_8, R_8, W_10, W_22) right; leave-one-out over all 36: 35
    assert genre_accuracy(clf, val) >= 0.75
    assert genre_accuracy(clf, train) >= 0.9
