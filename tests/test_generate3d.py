"""The 3D sampling generator: representation, model, sampling, HGR loop, camera and files.

A tiny untrained model is built here (no bundled weights, no ../shared); the bundled 3D model and
real data are exercised in test_default_model3d.py."""
from dataclasses import MISSING

import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen import body3d as b3
from dancegen.audio.features import FeatureConfig
from dancegen.camera import CAMERAS, CameraConfig, film
from dancegen.dance import Dance
from dancegen.errors import ConfigError
from dancegen.feedback.online3d import Corrector3D
from dancegen.model import motion3d
from dancegen.model.bundle3d import Bundle3DMeta, Model3DBundle
from dancegen.model.format import read_model
from dancegen.model.generate3d import POLISH_GROUPS, Generate3DOptions, generate_dance3d, load_generator, polish3d
from dancegen.model.seq2seq3d import Model3DConfig, Seq2Seq3D, mdn_nll, mdn_sample
from motion3d_synth import REF, synthetic_dance3d
from roundtrip import assert_same_fields

torch.set_num_threads(1)


def _tiny_model(F=8, attention="additive", seed=0):
    torch.manual_seed(seed)
    return Seq2Seq3D(Model3DConfig(n_features=F, enc_hidden=8, dec_hidden=16, attn_dim=8, n_mix=3,
                                   attention=attention, n_genres=4, dropout=0.0)).eval()


@pytest.fixture(scope="module")
def tiny3d_meta() -> dict:
    """The metadata the tiny 3D model file is saved with (built once: a recomputation may differ in
    the last bit, numpy's SIMD reductions depend on memory alignment)."""
    fc = FeatureConfig(fps=25.0)
    F = fc.dim
    x = np.concatenate([motion3d.encode(synthetic_dance3d(300, seed=s), 25.0) for s in range(3)])
    return dict(feature_config=fc.to_dict(), feature_stats={"mean": [0.0] * F, "std": [1.0] * F, "names": fc.names()},
                pose_mean=x.mean(0).tolist(), pose_std=np.maximum(x.std(0), 1e-3).tolist(), ref_lengths=REF.tolist(),
                genres=["cha-cha", "rumba", "tango", "waltz"], seed_poses=x[::50].tolist(), ref_speed=1.0,
                info={"name": "tiny3d"})


@pytest.fixture(scope="module")
def tiny3d(tmp_path_factory, tiny3d_meta):
    b = Model3DBundle(model=_tiny_model(FeatureConfig(fps=25.0).dim), **Model3DBundle.meta_kwargs(tiny3d_meta))
    path = tmp_path_factory.mktemp("model3d") / "tiny3d.safetensors"
    b.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    sr = 22050
    t = np.arange(int(10.0 * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * (np.mod(t, 0.5) < 0.05)  # 120 BPM tone bursts
    p = tmp_path_factory.mktemp("song3d") / "song.wav"
    sf.write(p, y.astype(np.float32), sr)
    return p


# ------------------------------------------------------------------ body and representation
def test_retarget_gives_every_bone_its_reference_length_and_keeps_directions():
    j = synthetic_dance3d(50) * np.array([1.0, 1.1, 0.9], np.float32)   # distorted lengths
    r = b3.retarget(j, REF)
    assert np.abs(b3.bone_lengths(r) - REF).max() < 1e-5
    u = b3.bone_vectors(j) / b3.bone_lengths(j)[..., None]
    v = b3.bone_vectors(r) / b3.bone_lengths(r)[..., None]
    assert np.abs(u - v).max() < 1e-5


def test_mirror_swaps_sides_and_is_an_involution():
    j = synthetic_dance3d(20)
    m = b3.mirror3d(j)
    assert np.allclose(b3.mirror3d(m), j)
    assert np.allclose(m[:, b3.JOINT3D_INDEX["RWrist"], 0], -j[:, b3.JOINT3D_INDEX["LWrist"], 0])
    assert np.abs(b3.bone_lengths(m) - REF).max() < 1e-5


def test_motion_vector_round_trip_reproduces_world_joints():
    j = synthetic_dance3d(200)
    x = motion3d.encode(j, 25.0)
    assert x.shape == (200, motion3d.DIM)
    h0 = motion3d._unwrap_heading(j)[0]
    back = motion3d.decode(x, REF, start_xz=j[0, 0, [0, 2]], start_heading=h0)
    assert np.abs(back - j).max() < 1e-4
    integ = motion3d.Integrator(REF, j[0, 0, [0, 2]], h0)
    for t in range(len(x)):
        w, h, xz = integ.peek(x[t])
        integ.commit(h, xz)
        assert np.abs(w - j[t]).max() < 1e-4


def test_decode_puts_every_bone_at_reference_length_whatever_the_vector():
    x = np.random.default_rng(0).normal(size=(30, motion3d.DIM))
    w = motion3d.decode(x, REF)
    assert np.abs(b3.bone_lengths(w) / REF - 1).max() < 1e-5


def test_foot_contacts_follow_height_and_speed():
    j = synthetic_dance3d(100)
    c = motion3d.foot_contacts(j, 25.0)
    lifted = j.copy()
    lifted[..., 1] += 0.5
    assert c.any() and not motion3d.foot_contacts(lifted, 25.0).any()


# ------------------------------------------------------------------ model
@pytest.mark.parametrize("attention", ["additive", "general", "none"])
def test_window_forward_equals_frame_by_frame_steps(attention):
    m = _tiny_model(attention=attention)
    B, T, F, D = 2, 15, 8, motion3d.DIM
    feats, prev, seed = torch.randn(B, T, F), torch.randn(B, T, D), torch.randn(B, D)
    g = torch.tensor([0, 3])
    with torch.no_grad():
        logit, mu, ls = m(feats, prev, g, seed)
        mem = m.memory(m.encoder(feats))
        state = m.start(mem, seed)
        ge = m.genre(g)
        for t in range(T):
            (l1, m1, s1), state = m.step(mem, t, prev[:, t], state, ge)
            assert torch.allclose(l1, logit[:, t], atol=1e-5)
            assert torch.allclose(m1, mu[:, t], atol=1e-5) and torch.allclose(s1, ls[:, t], atol=1e-5)


def test_mdn_nll_matches_a_single_gaussian_by_hand():
    x = torch.tensor([[0.5, -1.0]])
    logit, mu, ls = torch.zeros(1, 1), torch.zeros(1, 1, 2), torch.log(torch.tensor([[[1.0, 2.0]]]))
    by_hand = 0.5 * (0.25 + 0.25) + np.log(2.0) + np.log(2 * np.pi)
    assert abs(float(mdn_nll(logit, mu, ls, x)) - by_hand / 2) < 1e-6


def test_mdn_sampling_temperature_zero_is_the_most_likely_mean_and_one_spreads():
    logit = torch.tensor([[0.0, 3.0]])
    mu = torch.tensor([[[1.0, 1.0], [5.0, -5.0]]])
    ls = torch.full((1, 2, 2), np.log(0.5))
    assert torch.equal(mdn_sample(logit, mu, ls, 0.0), torch.tensor([[5.0, -5.0]]))
    g = torch.Generator().manual_seed(0)
    s = torch.stack([mdn_sample(logit, mu, ls, 1.0, g)[0] for _ in range(400)])
    assert 0.35 < float(s[:, 0][s[:, 0] > 3].std()) < 0.65


# ------------------------------------------------------------------ generation
def test_file_round_trip_keeps_every_metadata_field_and_weights(tiny3d, tiny3d_meta, tmp_path):
    """Every field of Bundle3DMeta (none left at its default) comes back equal, by value and dtype,
    through save_pretrained / from_pretrained and through load_generator (the kind registry)."""
    full = dict(tiny3d_meta, ref_body_speed=0.46875, genre_body_speed={"cha-cha": 0.625, "waltz": 0.4375}, root_height=0.875, train_takes=["DANCE_C_1", "DANCE_W_2"],
                motion_only_takes=["DANCE_R_9"], info={"name": "tiny3d", "nested": {"steps": 3, "nll": [0.5, 0.25]}})
    b = Model3DBundle(model=_tiny_model(FeatureConfig(fps=25.0).dim), **Model3DBundle.meta_kwargs(full))
    for f in Bundle3DMeta.meta_fields():               # none left at its default: each one is really compared
        if f.default is not MISSING or f.default_factory is not MISSING:
            default = f.default if f.default is not MISSING else f.default_factory()
            assert getattr(b, f.name) != default, f.name
    path = b.save_pretrained(tmp_path / "full3d.safetensors")
    kind, sd, stored = read_model(path)
    assert kind == "seq2seq3d" and set(stored) == {"model_config"} | {f.name for f in Bundle3DMeta.meta_fields()}
    for back in (load_generator(path), Model3DBundle.from_pretrained(path)):
        assert type(back) is Model3DBundle and back.is_3d
        names = assert_same_fields(b, back, Bundle3DMeta)
        assert len(names) == len(Bundle3DMeta.meta_fields()) >= 13
        assert back.pose_mean.dtype == np.float32
        assert back.seed_poses.shape == (len(tiny3d_meta["seed_poses"]), motion3d.DIM)
        ref = {k: v.half().float() for k, v in b.model.state_dict().items()}   # saved as float16
        assert back.model is None                                   # read from a file: arrays, no torch module
    assert all(torch.equal(ref[k], v) for k, v in back.torch_model().state_dict().items())
    assert all(np.array_equal(ref[k].numpy(), v) for k, v in back.weights.items())
    # the fixture's file (optional fields missing from the metadata): the defaults stand in
    small = Model3DBundle.from_pretrained(tiny3d)
    assert small.train_takes == [] and small.ref_body_speed is None and small.ref_speed == 1.0
    assert_same_fields(small, Model3DBundle(model=small.torch_model(), **Model3DBundle.meta_kwargs(tiny3d_meta)), Bundle3DMeta)


@pytest.mark.parametrize("key,value,needle", [
    ("pose_mean", KeyError, "lacks 'pose_mean'"),
    ("genres", KeyError, "lacks 'genres'"),
    ("genres", "waltz", "'genres' is malformed"),
    ("train_takes", [1, 2], "'train_takes' is malformed"),
    ("info", ["name"], "'info' is malformed"),
    ("ref_body_speed", "fast", "'ref_body_speed' is malformed"),
    ("ref_body_speed", True, "'ref_body_speed' is malformed"),
    ("ref_body_speed", -0.5, "'ref_body_speed' -0.5 must be a finite positive"),
    ("genre_body_speed", [0.5], "'genre_body_speed' is malformed"),
    ("genre_body_speed", {"salsa": 0.5}, "'genre_body_speed' names 'salsa'"),
    ("genre_body_speed", {"waltz": "fast"}, "'genre_body_speed' of 'waltz' must be a positive number"),
    ("genre_body_speed", {"waltz": -0.5}, "'genre_body_speed' of 'waltz' must be a positive number"),
    ("seed_poses", [[0.0, 1.0], [2.0]], "'seed_poses' is malformed"),
    ("seed_poses", [["a"] * motion3d.DIM], "'seed_poses' is malformed"),
    ("seed_poses", [[0.0] * 5], "'seed_poses' must be Kx54"),
    ("pose_std", [1.0] * 53, "'pose_std' must be 54 finite positive"),
    ("ref_lengths", [0.3] * 5, "'ref_lengths' must be 16 finite positive"),
    ("feature_stats", [], "'feature_stats' is malformed"),
])
def test_a_3d_model_file_with_a_missing_or_bad_field_is_a_one_line_error_naming_it(tiny3d, tmp_path, key, value,
                                                                                    needle):
    from dancegen.errors import ModelError
    from dancegen.model.format import save_model

    kind, sd, meta = read_model(tiny3d)
    meta = {k: v for k, v in meta.items() if k != key} | ({} if value is KeyError else {key: value})
    bad = save_model(tmp_path / "bad3d.safetensors", kind, sd, meta)
    with pytest.raises(ModelError) as e:
        load_generator(bad)
    msg = str(e.value)
    assert needle in msg and str(bad) in msg and "\n" not in msg, msg


def test_same_seed_same_dance_bit_for_bit_other_seed_other_dance(tiny3d, song):
    b = load_generator(tiny3d)
    d1 = generate_dance3d(song, b, Generate3DOptions(duration=4, seed=3, progress=False))
    d2 = generate_dance3d(song, b, Generate3DOptions(duration=4, seed=3, progress=False))
    d3 = generate_dance3d(song, b, Generate3DOptions(duration=4, seed=4, progress=False))
    assert np.array_equal(d1.joints3d, d2.joints3d) and np.array_equal(d1.keypoints, d2.keypoints)
    assert np.abs(d1.joints3d - d3.joints3d).max() > 0.05


@pytest.mark.parametrize("fps,duration", [(25.0, 4.0), (30.0, 3.33), (60.0, 1.01)])
def test_frame_count_bones_and_canvas(tiny3d, song, fps, duration):
    b = load_generator(tiny3d)
    d = generate_dance3d(song, b, Generate3DOptions(duration=duration, fps=fps, progress=False))
    assert d.n_frames == round(duration * fps) and d.joints3d.shape == (d.n_frames, 17, 3)
    assert np.abs(b3.bone_lengths(d.joints3d) / REF - 1).max() < 0.01
    kp = d.keypoints
    assert kp[..., 0].min() >= 0 and kp[..., 0].max() <= 1920 and kp[..., 1].min() >= 0 and kp[..., 1].max() <= 1080


def test_temperature_controls_variety(tiny3d, song):
    b = load_generator(tiny3d)
    sp = []
    for temp in (0.0, 1.0):
        d = generate_dance3d(song, b, Generate3DOptions(duration=4, temperature=temp, progress=False,
                                                        beat_lock=False, feedback=False))
        sp.append(np.abs(np.diff(d.joints3d[:, 1:] - d.joints3d[:, :1], axis=0)).mean())
    assert sp[1] > 2 * sp[0]
    with pytest.raises(ConfigError, match="temperature"):
        generate_dance3d(song, b, Generate3DOptions(duration=1, temperature=-1, progress=False))
    for bad in ({"component_corr": 1.5}, {"noise_corr": -0.1}, {"restart_s": -1.0}, {"unstick": float("nan")},
                {"unstick_max": 0.5}, {"energy_floor_after": -1.0}, {"energy_ceiling": float("inf")}, {"loudness": -1.0},
                {"loudness_clip": 1.0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            generate_dance3d(song, b, Generate3DOptions(duration=1, progress=False, **bad))


NO_POLISH = dict(travel_gain=1.0, smooth_root=0.0, smooth_upper=0.0, smooth_arms=0.0, smooth_legs=0.0, steady_upper=0.0,
                 energy_floor_after=0.0, loudness=0.0)


def _shaken(T=200, seed=0, mm=8.0):
    """A smooth synthetic dance with frame-to-frame shaking of ``mm`` millimetres on every joint
    but the feet, and the clean dance (both on the reference skeleton)."""
    clean = synthetic_dance3d(T=T, seed=seed).astype(np.float64)
    noisy = clean.copy()
    rng = np.random.default_rng(seed + 1)
    feet = [b3.JOINT3D_INDEX[n] for n in ("MidHip", "RHip", "RKnee", "RAnkle", "RBigToe", "LHip", "LKnee", "LAnkle", "LBigToe")]
    upper = [i for i in range(len(b3.JOINTS3D)) if i not in feet]
    noisy[:, upper] += rng.normal(0, mm / 1000, (T, len(upper), 3))
    return b3.retarget(clean, REF), b3.retarget(noisy, REF)


def _acc(j, idx):
    return np.linalg.norm(np.diff(j[:, idx], 2, axis=0), axis=-1).mean()


def test_polish_removes_upper_body_shaking_and_keeps_bones_steps_and_path():
    clean, noisy = _shaken()
    out = polish3d(noisy, 25.0, REF, sigmas={"upper": 2.0, "arms": 1.0, "legs": 0.0})
    assert out.dtype == np.float32 and out.shape == noisy.shape
    assert np.abs(b3.bone_lengths(out) / REF - 1).max() < 1e-4            # every bone at its length
    up = [b3.JOINT3D_INDEX[n] for n in POLISH_GROUPS["upper"]]
    # the shaking's acceleration is mostly gone, back near the clean dance's
    assert _acc(out, up) < 0.35 * _acc(noisy, up) and _acc(out, up) < 2.0 * _acc(clean, up) + 1e-3
    legs = [b3.JOINT3D_INDEX[n] for n in ("RKnee", "RAnkle", "LKnee", "LAnkle")]
    assert np.abs(out[:, legs] - noisy[:, legs]).max() < 1e-5            # legs (sigma 0) untouched
    np.testing.assert_allclose(out[:, 0], noisy[:, 0], atol=1e-5)        # the root's path too
    # nothing asked: the same dance
    np.testing.assert_allclose(polish3d(noisy, 25.0, REF), noisy, atol=1e-5)


def test_polish_travel_gain_scales_the_floor_path_and_keeps_height_and_heading():
    clean, _ = _shaken()
    out = polish3d(clean, 25.0, REF, travel_gain=1.25)
    step = lambda j: np.linalg.norm(np.diff(j[:, 0, [0, 2]], axis=0), axis=-1).sum()  # noqa: E731
    assert abs(step(out) / step(clean) - 1.25) < 0.01
    np.testing.assert_allclose(out[:, 0, 1], clean[:, 0, 1], atol=1e-5)   # root height kept
    np.testing.assert_allclose(np.unwrap(b3.heading(out)), np.unwrap(b3.heading(clean)), atol=1e-4)
    np.testing.assert_allclose(out - out[:, :1], clean - clean[:, :1], atol=1e-4)  # the body itself unchanged
    # root smoothing: a shaking path gets smooth, its length about kept
    rng = np.random.default_rng(3)
    shaky = clean.copy()
    shaky[:, :, [0, 2]] += np.cumsum(rng.normal(0, 0.004, (len(clean), 1, 2)), axis=0)
    sm = polish3d(shaky, 25.0, REF, root_sigma=3.0)
    acc = lambda j: np.linalg.norm(np.diff(j[:, 0, [0, 2]], 2, axis=0), axis=-1).mean()  # noqa: E731
    assert acc(sm) < 0.5 * acc(shaky)
    assert np.abs(b3.bone_lengths(sm) / REF - 1).max() < 1e-4


def test_polish_options_are_checked(tiny3d, song):
    b = load_generator(tiny3d)
    for bad in ({"travel_gain": 0.0}, {"smooth_upper": -1.0}, {"smooth_root": float("nan")}, {"steady_upper": 30.0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            generate_dance3d(song, b, Generate3DOptions(duration=1, progress=False, **bad))


def test_hgr_loop_acts_on_an_untrained_model_and_the_dance_keeps_its_rules(tiny3d, song):
    b = load_generator(tiny3d)
    # independent sampling noise (noise_corr 0): an untrained model then breaks the rules often
    # (the polish off: its smoothing would hide the jumps the loop-off dance is expected to show)
    on = generate_dance3d(song, b, Generate3DOptions(duration=6, progress=False, beat_lock=False, noise_corr=0.0, **NO_POLISH))
    off = generate_dance3d(song, b, Generate3DOptions(duration=6, progress=False, beat_lock=False, feedback=False,
                                                      noise_corr=0.0, **NO_POLISH))
    c = on.meta["hgr3d"]
    assert c["frames"] == 150 and c.get("jump", 0) > 0          # a random model jumps: the loop saw it
    assert off.meta["hgr3d"] == {}
    fast_on = (np.linalg.norm(np.diff(on.joints3d, axis=0), axis=-1).max(1) * 25 > 7.5 + 1e-3).sum()
    fast_off = (np.linalg.norm(np.diff(off.joints3d, axis=0), axis=-1).max(1) * 25 > 7.5 + 1e-3).sum()
    assert fast_on == 0 and fast_off > 10
    low_on = np.minimum(on.joints3d[:, 11, 1], on.joints3d[:, 15, 1]).min()
    assert low_on >= -0.03 - 1e-4


def test_corrector_cuts_a_sliding_contact_foot_back_to_the_tolerance_and_lifts_a_sunk_one():
    c = Corrector3D(ref_lengths=REF, fps=25.0)
    j = synthetic_dance3d(2)
    prev, cur = j[0], j[0].copy()
    cur[:, 0] += 0.05                                           # the whole body slides 5 cm
    shift, acted = c.fix_floor_and_slide(cur, prev, np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    assert "foot_slide" in acted and abs(shift[0] + (0.05 - c.rules.slide_tol)) < 1e-6   # 5 cm -> 1.2 cm
    assert abs(shift[2]) < 1e-9                                # (y: this synthetic pose is also lifted)
    slow = j[0].copy()
    slow[:, 0] += 0.01                                          # under the tolerance: no action
    shift, acted = c.fix_floor_and_slide(slow, prev, np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    assert "foot_slide" not in acted and shift[0] == 0.0
    sunk = j[0].copy()
    sunk[:, 1] -= 0.1
    shift, acted = c.fix_floor_and_slide(sunk, None, np.zeros(2), None)
    assert acted == ["below_floor"] and shift[1] > 0.09


def test_npz_stores_3d_joints_names_and_bones_readable_without_dancegen(tiny3d, song, tmp_path):
    d = generate_dance3d(song, load_generator(tiny3d), Generate3DOptions(duration=2, progress=False))
    p = d.save(tmp_path / "dance.npz")
    with np.load(p, allow_pickle=False) as z:
        assert z["joints3d"].shape == (50, 17, 3)
        assert tuple(z["joint3d_names"]) == b3.JOINTS3D
        assert [tuple(x) for x in z["bones3d"]] == list(b3.BONES3D)
    back = Dance.load(p)
    assert back.joint3d_names == b3.JOINTS3D and np.array_equal(back.joints3d, d.joints3d)


# ------------------------------------------------------------------ camera
@pytest.mark.parametrize("mode", CAMERAS)
def test_every_camera_keeps_a_travelling_dancer_on_the_canvas(mode):
    j = synthetic_dance3d(500, radius=4.0)                     # travels an 8-m circle
    kp, info = film(j, 25.0, CameraConfig(mode=mode))
    assert kp[..., 0].min() >= 0 and kp[..., 0].max() <= 1920 and kp[..., 1].min() >= 0 and kp[..., 1].max() <= 1080
    h = kp[..., 1].max(1) - kp[..., 1].min(1)
    assert h.min() > 40


def test_front_camera_shows_the_body_facing_the_viewer():
    j = synthetic_dance3d(300)
    kp, _ = film(j, 25.0, CameraConfig(mode="front", turn_s=0.0))
    # facing the camera: the dancer's right shoulder (OpenPose 2) is on the image left of the left (5)
    assert (kp[:, 2, 0] < kp[:, 5, 0]).mean() > 0.95
    kp_back, _ = film(j, 25.0, CameraConfig(mode="front", turn_s=0.0, yaw=180))
    assert (kp_back[:, 2, 0] > kp_back[:, 5, 0]).mean() > 0.95


def test_no_projected_bone_is_longer_than_its_3d_length_can_project():
    """For each bone: the longest image any segment of the bone's 3D length anchored at its parent
    joint can have (over 2,000 directions), against the drawn 2D bone."""
    from dancegen.camera import look_at, project_points
    from dancegen.skeleton import BONES

    j = synthetic_dance3d(400, radius=2.0)[::8]
    pts = b3.to_openpose18(j)
    rng = np.random.default_rng(0)
    d = rng.normal(size=(2000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for mode in CAMERAS:
        kp, info = film(j, 25.0, CameraConfig(mode=mode))
        cam, tgt, f = info["position"].astype(np.float64), info["target"].astype(np.float64), info["focal"]
        R = look_at(cam, tgt)
        for a, c in BONES:
            L = np.linalg.norm(pts[:, a] - pts[:, c], axis=-1)
            tips = pts[:, a][:, None] + L[:, None, None] * d[None]
            uv, _ = project_points(tips, cam, R, f, (1920, 1080))
            bound = np.linalg.norm(uv - kp[:, a][:, None], axis=-1).max(1)
            drawn = np.linalg.norm(kp[:, a] - kp[:, c], axis=-1)
            assert (drawn <= bound * 1.001 + 1e-3).all()
            assert (drawn > 0.2 * bound).mean() > 0.5     # and the bound is not vacuous


def test_camera_options_are_checked():
    with pytest.raises(ConfigError, match="camera"):
        CameraConfig(mode="drone")
    with pytest.raises(ConfigError, match="elevation"):
        CameraConfig(elevation=95)


def test_the_song_is_decoded_once_per_3d_generation(tiny3d, song, monkeypatch):
    import dancegen.audio.io as aio

    reads = []
    real = aio._read_mono
    monkeypatch.setattr(aio, "_read_mono", lambda *a, **k: reads.append(1) or real(*a, **k))
    d = generate_dance3d(song, load_generator(tiny3d), Generate3DOptions(duration=2, progress=False))
    assert len(reads) == 1 and "beat_lock" in d.meta



def test_the_song_is_analysed_once_per_3d_generation(tiny3d, song, monkeypatch):
    """One spectrogram and one beat tracking for the features and the genre classifier."""
    import dancegen.audio.beats as B

    calls = []
    real_stft, real_track = B.stft_power, B.track_onsets
    monkeypatch.setattr(B, "stft_power", lambda y, n_fft, hop: calls.append(n_fft) or real_stft(y, n_fft, hop))
    monkeypatch.setattr(B, "track_onsets", lambda *a, **k: calls.append("beats") or real_track(*a, **k))
    d = generate_dance3d(song, load_generator(tiny3d), Generate3DOptions(duration=8, progress=False))
    assert d.meta["genre_auto"]["method"] == "classifier"
    assert sorted(map(str, calls)) == ["1024", "2048", "beats"]      # features + chroma + beats


@pytest.mark.slow
def test_generate_imports_neither_librosa_nor_scipy_signal(tiny3d, song, tmp_path):
    """Their imports cost about 2 s of CPU: dancegen.dsp does that work (tests/test_dsp.py)."""
    import subprocess
    import sys

    from conftest import REPO

    code = ("import sys; from dancegen.cli import main; rc = main(sys.argv[1:]); "
            "heavy = [m for m in ('librosa', 'numba', 'scipy.signal', 'scipy.stats') if m in sys.modules]; "
            "print('HEAVY', heavy); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, "generate", str(song), "-o", str(tmp_path / "out"), "--model",
                        str(tiny3d), "--no-video", "--quiet", "--duration", "3"], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "HEAVY []" in r.stdout, r.stdout
def test_energy_governor_livens_a_nearly_still_body_and_keeps_root_and_bones():
    from dancegen.model.generate3d import govern3d

    j = synthetic_dance3d(300)
    rel = j - j[:, :1]
    still = j[:, :1] + rel[:1] + 0.1 * (rel - rel[:1])          # the body barely moves
    body = lambda w: np.linalg.norm(np.diff(w - w[:, :1], axis=0), axis=-1).mean()
    out, gain = govern3d(still, 25.0, REF, ref_speed=body(j) * 25.0, floor=0.6)
    assert gain.max() > 1.5 and body(out) > 2 * body(still)
    assert np.abs(out[:, 0] - still[:, 0]).max() < 1e-4
    assert np.abs(b3.bone_lengths(out) / REF - 1).max() < 1e-4
    same, g1 = govern3d(j, 25.0, REF, ref_speed=body(j) * 25.0 * 0.5, floor=0.6)
    assert g1.max() <= 1.0 + 1e-6 and same is j


def test_the_floor_after_the_polish_lifts_a_dance_the_polish_slowed(tiny3d, song):
    b = load_generator(tiny3d)
    b.ref_body_speed = 1.0          # (the tiny model carries none; 1 m/s: far above what it dances)
    body = lambda d: np.linalg.norm(np.diff(d.joints3d - d.joints3d[:, :1], axis=0), axis=-1).mean()  # noqa: E731
    opts = dict(duration=6, progress=False, beat_lock=False, feedback=False, energy_floor=0.0, smooth_upper=4.0,
                smooth_arms=4.0, smooth_legs=4.0, steady_upper=0.0)
    off = generate_dance3d(song, b, Generate3DOptions(energy_floor_after=0.0, **opts))
    on = generate_dance3d(song, b, Generate3DOptions(energy_floor_after=3.0, **opts))
    assert body(on) > 1.3 * body(off) and on.meta["energy_gain_max_after"] > 1.3 and "energy_gain_max_after" not in off.meta
    assert np.abs(b3.bone_lengths(on.joints3d.astype(np.float64)) / REF - 1).max() < 0.01


def test_the_governor_keeps_each_genres_own_pace(tiny3d, song):
    """With the genres' training speeds in the file the governor and the unsticking measure against
    the danced genre's (a cha-cha livelier than a waltz); without them, or with genre_energy off,
    against all genres' mean."""
    b = load_generator(tiny3d)
    b.ref_body_speed, b.genre_body_speed = 0.5, {"cha-cha": 2.0, "waltz": 0.25}
    body = lambda d: np.linalg.norm(np.diff(d.joints3d - d.joints3d[:, :1], axis=0), axis=-1).mean()  # noqa: E731
    opts = dict(duration=6, progress=False, beat_lock=False, loudness=0.0, energy_floor=1.0, energy_ceiling=0.0)
    run = lambda genre, **kw: generate_dance3d(song, b, Generate3DOptions(genre=genre, **opts, **kw))  # noqa: E731
    cha, cha_all, tango = run("cha-cha"), run("cha-cha", genre_energy=False), run("tango")
    assert cha.meta["ref_body_speed"] == 2.0 and cha_all.meta["ref_body_speed"] == 0.5 == tango.meta["ref_body_speed"]
    assert body(cha) > 1.5 * body(cha_all)
    assert b.body_speed("waltz") == 0.25 and b.body_speed("waltz", per_genre=False) == 0.5 == b.body_speed("tango")


def test_body_speeds_are_kept_per_genre_over_each_genres_frames():
    from dancegen.train.train3d import body_speeds

    j = synthetic_dance3d(120, seed=1)
    still = np.repeat(j[:1], 80, axis=0)
    sp = body_speeds(["waltz", "cha-cha", "waltz"], [b3.retarget(x, REF) for x in (still, j, still[:40])])
    assert list(sp) == ["cha-cha", "waltz"] and len(sp["waltz"]) == 79 + 39 and len(sp["cha-cha"]) == 119
    assert np.abs(sp["waltz"]).max() < 1e-6 and sp["cha-cha"].mean() > 0.05


def test_loudness_gain_follows_the_level_in_decibels_around_the_median():
    from dancegen.model.generate3d import loudness_gain

    sr, fps = 8000, 25.0
    t = np.arange(12 * sr) / sr
    amp = np.where((t >= 4) & (t < 8), 10 ** (4 / 20), 1.0)          # 4 s of 4 dB louder in 12 s
    y = amp * np.sin(2 * np.pi * 440 * t)
    g = loudness_gain(y, sr, 300, fps, k=1.0, clip=0.5)
    assert g.shape == (300,)
    np.testing.assert_allclose(g[[25, 60, 250, 280]], 1.0, atol=1e-3)   # the median level: gain 1
    np.testing.assert_allclose(g[[130, 150, 170]], 1.4, atol=1e-3)      # +4 dB, 1 per 10 dB: 1.4
    assert loudness_gain(y, sr, 300, fps, k=1.0, clip=0.3).max() == pytest.approx(1.3)  # clipped
    assert loudness_gain(y, sr, 300, fps, k=0.5, clip=0.5)[150] == pytest.approx(1.2, abs=1e-3)


def test_follow_loudness_livens_the_loud_passage_and_keeps_bones():
    from dancegen.model.generate3d import follow_loudness

    j = b3.retarget(synthetic_dance3d(300, seed=2).astype(np.float64), REF)
    sr, fps = 8000, 25.0
    t = np.arange(12 * sr) / sr
    y = np.where((t >= 4) & (t < 8), 10 ** (4 / 20), 1.0) * np.sin(2 * np.pi * 440 * t)
    out, g = follow_loudness(j, fps, REF, y, sr, k=1.0, clip=0.5)
    body = lambda w, a, b: np.linalg.norm(np.diff(w[a:b] - w[a:b, :1], axis=0), axis=-1).mean()  # noqa: E731
    assert body(out, 125, 175) > 1.2 * body(j, 125, 175)                 # loud: livelier
    assert abs(body(out, 10, 60) / body(j, 10, 60) - 1) < 0.1            # at the median level: as it was
    assert np.abs(b3.bone_lengths(out) / REF - 1).max() < 1e-4
    step = lambda w, a, b: np.linalg.norm(np.diff(w[a:b, 0, [0, 2]], axis=0), axis=-1).sum()  # noqa: E731
    assert step(out, 125, 175) == pytest.approx(1.4 * step(j, 125, 175), rel=0.05)   # travel too
    # travel=False: the body livelier the same way, the floor path as it was
    body_only, _ = follow_loudness(j, fps, REF, y, sr, k=1.0, clip=0.5, travel=False)
    assert body(body_only, 125, 175) > 1.2 * body(j, 125, 175)
    assert np.abs(body_only[:, 0, [0, 2]] - j[:, 0, [0, 2]]).max() < 1e-3


def test_energy_governor_ceiling_slows_a_runaway_spin():
    from dancegen.model.generate3d import govern3d

    j = synthetic_dance3d(300)
    T = len(j)
    ang = np.radians(360.0) * np.arange(T) / 25.0                 # one full turn per second about the root
    c, s_ = np.cos(ang), np.sin(ang)
    rel = j - j[:, :1]
    spun = j[:, :1] + np.stack([c[:, None] * rel[..., 0] + s_[:, None] * rel[..., 2], rel[..., 1],
                                -s_[:, None] * rel[..., 0] + c[:, None] * rel[..., 2]], -1)
    body = lambda w: np.linalg.norm(np.diff(w - w[:, :1], axis=0), axis=-1).mean() * 25.0
    yaw = lambda w: np.abs(np.diff(np.unwrap(b3.heading(w)))).mean() * 25.0
    ref = body(j)
    out, gain = govern3d(spun, 25.0, REF, ref_speed=ref, floor=0.0, ceiling=1.3)
    assert body(spun) > 2 * ref and gain.min() < 0.7
    assert body(out) < 0.8 * body(spun) and yaw(out) < 0.8 * yaw(spun)
    assert np.abs(b3.bone_lengths(out) / REF - 1).max() < 1e-4
    same, g = govern3d(j, 25.0, REF, ref_speed=ref, floor=0.0, ceiling=1.3)   # within the ceiling: untouched
    assert same is j and np.abs(g - 1).max() <= 1e-6


def test_a_3d_model_file_asking_for_a_huge_network_is_refused_before_it_is_built(tiny3d, tmp_path):
    from dancegen.errors import ModelError
    from dancegen.model.format import read_model, save_model

    kind, sd, meta = read_model(tiny3d)
    meta["model_config"]["dec_hidden"] = 10 ** 7          # ~10^14 parameters if it were built
    bad = save_model(tmp_path / "huge.safetensors", kind, sd, meta)
    with pytest.raises(ModelError, match="dec_hidden"):
        load_generator(bad)


def test_mdn_sample_picks_the_component_by_the_inverse_cdf_of_u():
    from dancegen.model.seq2seq3d import mdn_sample

    logit = torch.log(torch.tensor([[0.2, 0.3, 0.5]]))
    mu = torch.tensor([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]])
    ls = torch.zeros(1, 3, 2)
    for u, want in ((0.1, 1.0), (0.19, 1.0), (0.21, 2.0), (0.49, 2.0), (0.51, 3.0), (0.999, 3.0)):
        x = mdn_sample(logit, mu, ls, 1.0, noise=0.0, u=torch.tensor([u]))
        assert x.tolist() == [[want, want]], (u, x)
