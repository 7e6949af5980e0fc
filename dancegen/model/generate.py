"""Dance generation with a trained Seq2Seq model: music file in, :class:`~dancegen.dance.Dance` out.

Pipeline: one decode of the song feeding the features, the beats and the tempo
(:func:`prepare_music`) at the model's frame rate -> Bi-LSTM encoding (in overlapping chunks,
so memory stays bounded for any song length) -> frame-by-frame decoding, every new pose checked and
corrected by the HGR online feedback before it is fed back -> beat lock (a bounded, smooth retiming
that moves the motion's accents onto the music's beats, then beat accents: a bounded warp that
slows the motion around every beat: :func:`dancegen.model.beatlock.lock_to_beats`) -> pixels on
the canvas.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..skeleton import change_fps

# typical tempo ranges of the training genres (BPM), used by genre="auto" only when the genre
# classifier cannot be used (no model file, or a model that knows none of its genres)
_GENRE_TEMPO = {"waltz": (84, 100), "rumba": (100, 112), "cha-cha": (112, 132)}


def auto_genre(tempo: float, genres: list[str]) -> str:
    """Pick a training genre for a song by its tempo (folded into 80-160 BPM): waltz for 84-100,
    rumba for 100-112, cha-cha otherwise (the most energetic genre for fast songs)."""
    t = float(tempo) if tempo and np.isfinite(tempo) else 120.0
    while t > 0 and t < 80:
        t *= 2
    while t > 160:
        t /= 2
    for g, (lo, hi) in _GENRE_TEMPO.items():
        if lo <= t < hi and g in genres:
            return g
    return "cha-cha" if "cha-cha" in genres else genres[0]


def pick_genre(music, start: float, duration: float | None, tempo: float, genres: list[str]
               ) -> tuple[str, dict]:
    """genre="auto": the music genre classifier's (:func:`dancegen.audio.genre.classify_genre`)
    most probable genre among those the model knows; :func:`auto_genre` (tempo) only when the
    classifier is unavailable or knows none of ``genres``.

    Returns (genre, info) with info ``{"method": "classifier", "probability": p of the pick,
    "probabilities": {genre: p}}`` or ``{"method": "tempo", "reason": ...}``. ``music`` is a path
    (the window ``[start, start + duration]`` is decoded) or the run's already decoded ``(y, sr)``
    of that window, or ``(y, sr, analysis)`` with its :class:`~dancegen.audio.beats.Analysis` (or
    None): :func:`prepare_music` with ``return_audio``, so the song is decoded, and its spectrogram
    and beats computed, once per run."""
    from ..audio.genre import MAX_SECONDS, classify_genre

    try:
        if isinstance(music, tuple):
            y, sr = music[:2]
            analysis = music[2] if len(music) > 2 else None
            extra = len(y) / sr - MAX_SECONDS
            _, probs = classify_genre((y, sr), start=max(0.0, extra / 2), duration=MAX_SECONDS if extra > 0 else None,
                                      analysis=analysis)
        else:
            _, probs = classify_genre(music, start=start, duration=duration)
    except ConfigError as e:
        return auto_genre(tempo, genres), {"method": "tempo", "reason": str(e)}
    known = {g: p for g, p in probs.items() if g in genres}
    if not known:
        return auto_genre(tempo, genres), {"method": "tempo",
                                           "reason": "the model knows none of the classifier's genres",
                                           "probabilities": probs}
    g = max(known, key=known.get)
    return g, {"method": "classifier", "probability": round(float(probs[g]), 4),
               "probabilities": {k: round(float(v), 4) for k, v in probs.items()}}


@dataclass
class GenerateOptions:
    start: float = 0.0
    duration: float | None = None
    seed: int = 0
    genre: str | None = None          # None/"auto": by the music genre classifier
    fps: float | None = None          # output fps (default: the model's)
    feedback: bool = True             # HGR online correction (--no-feedback: "w/o HGR")
    beat_lock: bool = True
    max_rate_change: float = 0.25     # beat lock: local playback rate within [1/(1+x), 1+x]
    accent: float = 0.5               # beat accents: speed dip on every beat (model/beatlock.py); 0 off
    energy_floor: float = 0.8         # energy governor (model/energy.py): lowest local speed / training speed; 0 off
    noise: float = 0.01               # seeded exploration noise on the fed-back pose (body units)
    seed_pose: np.ndarray | None = None   # (18,2) pixels, or (S,18,2) seed motion
    glitch_rate: float = 0.0          # stress test of the HGR loop: share of decoder steps given a fault (see glitch_pose)
    glitch_seed: int = 1234
    chunk: int = 480
    margin: int = 60
    progress: bool = True
    timings: dict = field(default_factory=dict)


def encode_chunked(model, feats, chunk: int, margin: int):
    """Encoder states for a long sequence ``(1, T, F)`` computed in chunks of ``chunk`` frames with
    ``margin`` frames of context on each side (the Bi-LSTM sees what it saw in training)."""
    import torch

    T = feats.shape[1]
    if T <= chunk + 2 * margin:
        return model.encoder(feats)
    outs = []
    for s in range(0, T, chunk):
        a, b = max(0, s - margin), min(T, s + chunk + margin)
        enc = model.encoder(feats[:, a:b])
        outs.append(enc[:, s - a: s - a + min(chunk, T - s)])
    return torch.cat(outs, dim=1)


def run_decoder(bundle, feats_std: np.ndarray, genre_idx: int, opts: GenerateOptions, corrector=None):
    """Free-running decoding: ``feats_std (T, F)`` -> pose parameters ``(T, 36)``."""
    import torch

    from . import posecode

    model = bundle.model
    cfg = model.cfg
    T = feats_std.shape[0]
    rng = np.random.default_rng(opts.seed)
    W = cfg.window
    out = np.empty((T, posecode.POSE_DIM), np.float32)
    ref = bundle.ref_lengths
    nb = bundle.neck_bounds
    center = (bundle.canvas[0] / 2, bundle.canvas[1] / 2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # batch-1 steps: thread hand-offs cost more than they save
    try:
        return _decode_loop(model, cfg, feats_std, genre_idx, opts, corrector, bundle, rng, W, out, ref, nb, center)
    finally:
        torch.set_num_threads(threads)


def _decode_loop(model, cfg, feats_std, genre_idx, opts, corrector, bundle, rng, W, out, ref, nb, center):
    import torch
    from torch import nn

    from ..skeleton import body_scale
    from . import posecode

    T = feats_std.shape[0]
    with torch.inference_mode():
        f = torch.from_numpy(np.ascontiguousarray(feats_std, np.float32))[None]
        enc = encode_chunked(model, f, opts.chunk, opts.margin)
        mem = {"T": T, "summary": enc.mean(dim=1)}
        if cfg.attention == "none":
            mem["global"] = torch.tanh(model.global_ctx(enc.mean(dim=1)))
        else:
            mem["keys"] = nn.functional.pad(model.attn.keys(enc), (0, 0, W, W))
            mem["values"] = nn.functional.pad(enc, (0, 0, W, W))
            valid = torch.zeros(1, T + 2 * W, dtype=torch.bool)
            valid[:, W:W + T] = True
            mem["valid"] = valid
        # seed pose / seed motion
        if opts.seed_pose is not None:
            sp = np.asarray(opts.seed_pose, np.float32)
            sp = sp[None] if sp.ndim == 2 else sp
            seed_params = posecode.encode(sp, body_scale(sp), center, ref)
        else:
            pool = bundle.seed_poses if bundle.seed_poses is not None and len(bundle.seed_poses) else bundle.seed_pose[None]
            start = pool[int(rng.integers(len(pool)))] if opts.seed else np.asarray(bundle.seed_pose)
            seed_params = start[None] + rng.normal(0, 0.03, (1, posecode.POSE_DIM)).astype(np.float32)
            seed_params = posecode.encode(posecode.decode(seed_params, 1.0, (0, 0), ref), 1.0, (0, 0), ref)
        g = torch.tensor([genre_idx])
        state, ge = model.start(mem, torch.from_numpy(seed_params[-1:]), g)
        prev = torch.from_numpy(seed_params[:1])
        for s in range(1, len(seed_params)):  # warm the decoder on the seed motion
            _, state, _ = model.step(mem, 0, prev, state, ge)
            prev = torch.from_numpy(seed_params[s:s + 1])
        it = range(T)
        if opts.progress and T > 500:
            from tqdm import tqdm

            it = tqdm(it, desc="generating", unit="frame", file=sys.stderr, mininterval=0.5)
        noise = rng.normal(0, opts.noise, (T, posecode.POSE_DIM)).astype(np.float32) if opts.noise else None
        grng = np.random.default_rng(opts.glitch_seed) if opts.glitch_rate > 0 else None
        opts.timings["glitches"] = {}
        for t in it:
            pred, state, _ = model.step(mem, t, prev, state, ge)
            p = pred[0].numpy().copy()
            p[0] = min(max(p[0], nb[0]), nb[1])  # keep the neck in the range seen in training
            p[1] = min(max(p[1], nb[2]), nb[3])
            if grng is not None and grng.random() < opts.glitch_rate:
                p, kind = glitch_pose(p, ref, grng)
                opts.timings["glitches"][kind] = opts.timings["glitches"].get(kind, 0) + 1
            if corrector is not None:
                p = corrector(p)
            out[t] = p
            fb = p + noise[t] if noise is not None else p
            prev = torch.from_numpy(fb[None])
    return out


def glitch_pose(params: np.ndarray, ref: np.ndarray, rng) -> tuple[np.ndarray, str]:
    """Put one of the paper's three structural faults into a raw decoder output (pose parameters,
    before the HGR check), to stress-test the closed loop with a generator that breaks the rules:
    a *jump* (one joint displaced by 0.45-1.2 torso lengths, ``dancegen.feedback.inject``'s
    magnitudes), an *asymmetry* (one side's arm and leg rotated by 30-90 degrees) or a *bone stretch*
    (one bone 15-40% over its reference). The pose code cannot hold a bone longer than its reference
    (:func:`dancegen.model.posecode.encode` clips it back along its direction), so a stretch survives
    only as the direction change of the clipped bone. Returns ``(params, kind)``."""
    from ..feedback.inject import BODY_HEIGHT_TORSOS, rotate_side, stretch_bone
    from ..skeleton import BONES, body_scale
    from . import posecode

    joints = posecode.decode(params, 1.0, (0.0, 0.0), ref)
    kind = ("jump", "asymmetry", "bone_stretch")[int(rng.integers(3))]
    m = float(rng.uniform(0.15, 0.40))
    if kind == "jump":
        j = int(rng.integers(joints.shape[0]))
        ang = rng.uniform(0, 2 * np.pi)
        joints[j] += m * BODY_HEIGHT_TORSOS * body_scale(ref=_joint_ref(ref)) * np.array([np.cos(ang), np.sin(ang)])
    elif kind == "asymmetry":
        joints = rotate_side(joints, "R" if rng.random() < 0.5 else "L", np.radians(rng.uniform(30, 90)),
                             tuple(float(x) for x in rng.choice([-1.0, 1.0], size=2)))
    else:
        b = int(rng.integers(len(ref)))
        a, c = BONES[b]
        L = float(np.linalg.norm(joints[c] - joints[a]))
        if L > 1e-6:
            joints = stretch_bone(joints, b, (1.0 + m) * _joint_ref(ref)[b] / L)
    return posecode.encode(joints, 1.0, (0.0, 0.0), ref).astype(np.float32), kind


def make_corrector(bundle, fps: float):
    """The HGR online loop in parameter space: decode the new pose to joints (body units), let
    :class:`dancegen.feedback.online.OnlineCorrector` check and correct it against the reference
    skeleton and the recent history, and encode it back."""
    from ..feedback.online import OnlineCorrector
    from . import posecode

    ref = bundle.ref_lengths
    corr = OnlineCorrector(ref_lengths=_joint_ref(ref), fps=fps)

    def step(p: np.ndarray) -> np.ndarray:
        joints = posecode.decode(p, 1.0, (0.0, 0.0), ref)
        fixed = corr.step(joints)
        return posecode.encode(fixed, 1.0, (0.0, 0.0), ref)

    step.corrector = corr
    return step


def _joint_ref(ref_params: np.ndarray) -> np.ndarray:
    """Reference bone lengths in body units (the generator's ``ref`` already is per bone)."""
    return np.asarray(ref_params, np.float32)


def prepare_music(music, feature_config: dict, start: float = 0.0, duration: float | None = None,
                  return_audio: bool = False):
    """The music of one generation run, decoded once: check ``start`` against the file's header
    (:func:`dancegen.audio.io.audio_duration` with ``header=True``, no decoding), then decode
    ``[start, start + duration]`` a single time (:func:`dancegen.audio.io.load_audio`); where the
    window reaches the end of the file, the decoded length is the song's real length (a file
    shorter than its header says is cut there), so the whole file is never decoded to measure it.
    The window's :class:`~dancegen.audio.features.FeatureSet` carries the features, the beats and the tempo, so
    :class:`~dancegen.audio.features.FeatureSet` carries the features, the beats and the tempo, so
    nothing decodes the song again. ``duration`` defaults to the rest of the song after ``start``.
    Returns ``(feature_set, duration)`` (with ``return_audio`` also the decoded window ``(y, sr,
    analysis)`` for the genre classifier, :func:`pick_genre`: ``analysis`` is the features'
    :class:`~dancegen.audio.beats.Analysis` where the classifier looks at the whole window, i.e. the
    window is at most :data:`~dancegen.audio.genre.MAX_SECONDS` long, else None);
    :class:`~dancegen.errors.ConfigError` for a window outside the song."""
    from ..audio import genre
    from ..audio.beats import analyse
    from ..audio.features import FeatureConfig, compute_features
    from ..audio.io import audio_duration, load_audio

    head = audio_duration(music, header=True)
    if start < 0 or (head and start >= head):
        raise ConfigError(f"--start {start}: must be within the song (0 to {head:.1f} s)")
    if duration is not None and not duration > 0:
        raise ConfigError(f"--duration {duration}: must be positive")
    cfg = FeatureConfig.from_dict(feature_config)
    y, sr = load_audio(music, sr=cfg.sr, start=start, duration=duration, denoise=cfg.denoise)
    got = len(y) / sr
    if duration is None or got < duration - 1.0 / sr:   # the window ran to the end of the song
        duration = got
    share = return_audio and sr == genre.SR and got <= genre.MAX_SECONDS
    an = analyse(y, sr) if share else None
    fs = compute_features(y, sr, cfg, duration=duration if got >= duration - 1.0 / sr else got, start=start,
                          analysis=an)
    return (fs, duration, (y, sr, an)) if return_audio else (fs, duration)


def check_fps(fps, model_fps: float) -> float:
    """The output frame rate: ``fps`` or the model's; ConfigError outside 1-240."""
    out_fps = float(model_fps if fps is None else fps)  # fps=0 is an error, not the default
    if not 1 <= out_fps <= 240:
        raise ConfigError(f"--fps {out_fps}: use a frame rate between 1 and 240")
    return out_fps


def generate_dance(music, bundle=None, opts: GenerateOptions | None = None):
    """Generate a dance for ``music`` (path). Returns a :class:`~dancegen.dance.Dance` whose
    ``T == round(duration * fps)``; ``duration`` defaults to the rest of the song after ``start``."""
    from ..audio.features import FeatureStats
    from ..dance import Dance
    from . import posecode
    from .bundle import ModelBundle

    opts = opts or GenerateOptions()
    timings = opts.timings
    t0 = time.perf_counter()
    bundle = bundle if bundle is not None else ModelBundle.load(None)
    timings["load_model_s"] = time.perf_counter() - t0
    music = str(music)
    if not 0 <= opts.accent < 1:
        raise ConfigError(f"--accent {opts.accent}: use a depth from 0 (off) to below 1")
    out_fps = check_fps(opts.fps, bundle.fps)
    t1 = time.perf_counter()
    fs, duration, audio = prepare_music(music, bundle.feature_config, opts.start, opts.duration, return_audio=True)
    stats = FeatureStats.from_dict(bundle.feature_stats)
    feats = stats.apply(fs.values)
    timings["features_s"] = time.perf_counter() - t1
    genre_auto = None
    if opts.genre in (None, "auto"):
        t_g = time.perf_counter()
        genre, genre_auto = pick_genre(audio, opts.start, duration, fs.tempo, bundle.genres)
        timings["genre_s"] = time.perf_counter() - t_g
    else:
        genre = opts.genre
    if genre not in bundle.genres:
        raise ConfigError(f"--genre {genre!r}: this model knows {', '.join(bundle.genres)} (or auto)")
    corrector = make_corrector(bundle, bundle.fps) if opts.feedback else None
    t2 = time.perf_counter()
    from .baselines import BaselineBundle, run_baseline

    run = run_baseline if isinstance(bundle, BaselineBundle) else run_decoder
    params = run(bundle, feats, bundle.genres.index(genre), opts, corrector)
    timings["decode_s"] = time.perf_counter() - t2
    if corrector is not None:
        timings["feedback"] = dict(corrector.corrector.counts)
    if opts.energy_floor > 0 and bundle.ref_speed:
        from .energy import govern

        params, gain = govern(params, bundle.ref_lengths, bundle.fps, bundle.ref_speed, floor=opts.energy_floor)
        timings["energy_gain_max"] = float(gain.max())
    timings["ms_per_frame"] = 1e3 * timings["decode_s"] / max(1, len(params))
    center = (bundle.canvas[0] / 2, bundle.canvas[1] / 2)
    kp = posecode.decode(params, bundle.body_scale, center, bundle.ref_lengths)
    meta = {"model": bundle.info.get("name", "default"), "genre_source": "auto" if opts.genre in (None, "auto") else "user",
            "tempo": float(fs.tempo), "feedback": bool(opts.feedback), "seed": int(opts.seed)}
    if genre_auto is not None:
        meta["genre_auto"] = {"genre": genre, **genre_auto}
    if opts.beat_lock and len(fs.beats) >= 2:
        from .beatlock import lock_to_beats

        t3 = time.perf_counter()
        kp = lock_to_beats(kp, bundle.fps, fs.beats, max_rate_change=opts.max_rate_change, accent=opts.accent)
        timings["beat_lock_s"] = time.perf_counter() - t3
        meta["beat_lock"] = {"max_rate_change": opts.max_rate_change, "accent": opts.accent}
    T_out = int(round(duration * out_fps))
    if abs(out_fps - bundle.fps) > 1e-6 or len(kp) != T_out:
        kp = change_fps(kp, bundle.fps, out_fps, T_out).astype(np.float32)
    kp = keep_on_canvas(kp, bundle.canvas)
    return Dance(keypoints=kp, fps=out_fps, canvas=bundle.canvas, music=str(Path(music).resolve()),
                 offset=float(opts.start), genre=genre, name=Path(music).stem, meta=meta)


def keep_on_canvas(kp: np.ndarray, canvas, margin: float = 0.02) -> np.ndarray:
    """Shift frames whose skeleton leaves the canvas back inside (by the smallest translation)."""
    w, h = canvas
    mx, my = margin * w, margin * h
    lo = kp.min(axis=1)
    hi = kp.max(axis=1)
    dx = np.where(lo[:, 0] < mx, mx - lo[:, 0], 0) + np.where(hi[:, 0] > w - mx, (w - mx) - hi[:, 0], 0)
    dy = np.where(lo[:, 1] < my, my - lo[:, 1], 0) + np.where(hi[:, 1] > h - my, (h - my) - hi[:, 1], 0)
    shift = np.stack([dx, dy], axis=1).astype(np.float32)
    if np.any(shift):
        from scipy.ndimage import gaussian_filter1d

        shift = gaussian_filter1d(shift, 3.0, axis=0, mode="nearest")
        # smoothing can undershoot; re-apply the hard constraint
        kp = kp + shift[:, None, :]
        lo, hi = kp.min(axis=1), kp.max(axis=1)
        dx = np.where(lo[:, 0] < 0, -lo[:, 0], 0) + np.where(hi[:, 0] > w, w - hi[:, 0], 0)
        dy = np.where(lo[:, 1] < 0, -lo[:, 1], 0) + np.where(hi[:, 1] > h, h - hi[:, 1], 0)
        kp = kp + np.stack([dx, dy], axis=1)[:, None, :].astype(np.float32)
    return kp.astype(np.float32)
