"""Generation with the sampling 3D generator: music file in, :class:`~dancegen.dance.Dance` with
``joints3d`` (metres, y up) and 2D OpenPose-18 ``keypoints`` from an explicit camera out.

Pipeline: one decode of the song for features, beats and tempo
(:func:`dancegen.model.generate.prepare_music`) at the model's frame rate -> Bi-LSTM encoding (overlapping chunks, so
memory stays bounded for any song) -> frame by frame: the mixture head gives the next pose's
distribution, a pose is *sampled* (``temperature``), the 3D HGR loop checks it and acts (resample /
blend on a joint jump, cut back a sliding contact foot, lift a foot below the floor) before it is fed
back -> energy governor -> polish (:func:`polish3d`: the root's travel scaled up, the frame-to-frame
shake smoothed out per joint group) -> beat lock (bounded smooth retiming of the motion beats onto
the music beats, then beat accents) on the 3D joints, the neck, head and shoulders steadied
again, every bone put back at its reference length -> camera
(:mod:`dancegen.camera`) -> keypoints. The network runs on NumPy (:mod:`dancegen.model.infer3d`;
generation does not import torch). The same seed gives the same dance bit for bit (one seeded
numpy generator).

The 3D comparison models (:mod:`dancegen.model.baselines.bundle3d`) take the same path: they make
the song's pose vectors at once and the HGR loop (:class:`HGRLoop3D`) corrects each frame in order
(no resampling, nothing fed back), then the same governor, beat lock and camera.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..skeleton import change_fps


def load_generator(path=None):
    """Any generator file, opened with the class of its kind (:func:`dancegen.model.format.load_any`):
    the 3D sampling model, a 2D model or a comparison model. ``None``: the bundled default (the 3D
    model when it is bundled)."""
    from .bundle3d import DEFAULT_MODEL3D, KIND, Model3DBundle
    from .format import read_kind

    if path is None and DEFAULT_MODEL3D.exists():
        path = DEFAULT_MODEL3D
    if path is not None and Path(path).is_file() and Path(path).suffix == ".safetensors" and read_kind(path) == KIND:
        return Model3DBundle.from_pretrained(path)   # (the 3D generator: without importing torch)
    from .bundle import ModelBundle

    return ModelBundle.load(path)


@dataclass
class Generate3DOptions:
    start: float = 0.0
    duration: float | None = None
    seed: int = 0
    genre: str | None = None
    fps: float | None = None
    temperature: float = 1.0
    noise: float = 1.0               # within-component spread (see seq2seq3d.mdn_sample)
    noise_corr: float = 0.97         # frame-to-frame correlation of the sampling noise (0: independent)
    component_corr: float = 0.97     # the same for the pick of the mixture component (-1: a fresh draw per frame)
    restart_s: float = 4.0           # decoder state restarted from the current pose this often (0: never)
    unstick: float = 0.6             # component pick tilted toward moving while the body moves slower than this x training (0: off)
    unstick_max: float = 3.0         # ... the shortfall factor counted up to this
    unstick_bias: float = 3.0        # ... logit tilt per unit of the factor over 1 (0: off)
    energy_floor: float = 1.2        # governor3d: lowest body speed / the training dances' (0: off)
    energy_ceiling: float = 1.6      # governor3d: highest body speed / the training dances' (0: off)
    genre_energy: bool = True        # the governor and unsticking measure against the genre's own training speed (False: all genres')
    loudness: float = 1.3            # follow_loudness: gain per 10 dB above (below) the song's median loudness (0: off)
    loudness_clip: float = 0.3       # ... the gain kept within 1 -/+ this
    loudness_travel: bool = True     # ... on the travel and turning too (False: the body's motion only)
    energy_floor_after: float = 1.0  # governor3d once more after the polish, floor only (0: off): the polish takes the shake, slow passages get slower
    travel_gain: float = 1.2         # polish3d: the root's floor velocity x this (the model under-travels; docs/generation3d.md)
    smooth_root: float = 3.0         # polish3d: Gaussian sigma (model frames) of the root's floor velocity and turning rate
    smooth_upper: float = 2.0        # polish3d: ... of the neck, head and shoulders
    smooth_arms: float = 1.0         # polish3d: ... of the elbows and wrists
    smooth_legs: float = 0.5         # polish3d: ... of the hips, legs and feet (steps stay sharp)
    steady_upper: float = 2.0        # polish3d after the beat lock: the neck, head and shoulders smoothed again (frames)
    feedback: bool = True
    beat_lock: bool = True
    max_rate_change: float = 0.25
    accent: float = 0.8              # beat accents (model/beatlock.py): measured choice, docs/generation3d.md
    camera: object = None            # dancegen.camera.CameraConfig (default: front)
    canvas: tuple = (1920, 1080)
    chunk: int = 480
    margin: int = 60
    progress: bool = True
    timings: dict = field(default_factory=dict)


class HGRLoop3D:
    """The 3D HGR loop over the poses of one dance, one frame at a time (:mod:`dancegen.feedback.online3d`):
    each candidate pose vector (raw units, :mod:`dancegen.model.motion3d`) is integrated (heading and
    floor position), the floor and foot-sliding rules act on it, and a joint jump asks for another
    candidate or, at the last try, blends it toward the previous pose until the limit holds (last the
    previous pose itself, standing still). ``start``: the pose before the first frame (None: the first
    frame starts where it stands). Without ``feedback`` every candidate is kept as it is, integrated."""

    def __init__(self, ref_lengths: np.ndarray, fps: float, feedback: bool = True, start: np.ndarray | None = None):
        from ..feedback.online3d import Corrector3D
        from . import motion3d

        self.corr = Corrector3D(ref_lengths=ref_lengths, fps=fps) if feedback else None
        self.tries = 1 + (self.corr.rules.max_resample if self.corr is not None else 0)
        self.integ = motion3d.Integrator(ref_lengths)
        self.prev_world = self.prev_raw = self.prev_contact = self.prev2_world = None
        if start is not None:
            w0, h0, xz0 = self.integ.peek(start)
            self.integ.commit(h0, xz0)
            self.prev_world, self.prev_raw, self.prev_contact = w0, start, start[motion3d.SL_CONTACT]
        self.worlds, self.contacts = [], []
        self._kept = None

    def propose(self, xr: np.ndarray, last: bool = True) -> bool:
        """Try the candidate ``xr (54,)``: True when it is kept (no jump, or ``last`` and blended),
        False when the caller should draw another one (counted as a resample)."""
        world, h, xz, xr = _checked(self.integ, self.corr, xr, self.prev_world, self.prev_contact)
        corr = self.corr
        if corr is not None and corr.jump(world, self.prev_world, self.prev2_world):
            corr._count("jump")
            if not last:
                corr._count("resample")
                return False
            corr._count("blend")
            world, h, xz, xr = self._blend(xr)
        self._kept = (world, h, xz, xr)
        return True

    def _blend(self, xr: np.ndarray):
        from . import motion3d

        for a in (0.5, 0.25, 0.1, 0.0, None):
            if a is None:
                xb = self.prev_raw.copy()
                xb[motion3d.SL_VEL] = 0.0
                xb[motion3d.SL_DYAW] = 0.0
            else:
                xb = self.prev_raw + a * (xr - self.prev_raw)
            world, h, xz, xb = _checked(self.integ, self.corr, xb, self.prev_world, self.prev_contact)
            if not self.corr.jump(world, self.prev_world, self.prev2_world):
                break
        return world, h, xz, xb

    def commit(self) -> np.ndarray:
        """Keep the accepted candidate as the next frame; returns its pose vector (what an
        autoregressive model feeds back)."""
        from . import motion3d

        world, h, xz, xr = self._kept
        if self.corr is not None:
            self.corr.frames += 1
            self.corr.commit()
        self.integ.commit(h, xz)
        self.worlds.append(world)
        self.contacts.append(xr[motion3d.SL_CONTACT] > 0.5)
        self.prev2_world = self.prev_world
        self.prev_world, self.prev_raw, self.prev_contact = world, xr, xr[motion3d.SL_CONTACT]
        return xr

    def result(self):
        """``(world joints (T, 17, 3) m, contacts (T, 2), hgr counts)``."""
        worlds = np.asarray(self.worlds, np.float32)
        counts = {}
        if self.corr is not None:
            # the bone and symmetry guards (true by construction) over every kept frame at once
            for rule, broken in self.corr.structure_faults(worlds).items():
                if broken.any():
                    self.corr._count(rule, int(broken.sum()))
            counts = dict(self.corr.counts, frames=self.corr.frames)
        return worlds, np.asarray(self.contacts, np.float32), counts


def _frames(T: int, opts):
    if opts.progress and T > 500:
        from tqdm import tqdm

        return tqdm(range(T), desc="generating", unit="frame", file=sys.stderr, mininterval=0.5)
    return range(T)


def decode3d(bundle, feats_std: np.ndarray, genre_idx: int, opts: Generate3DOptions):
    """Decoding with the 3D HGR loop -> ``(world joints (T, 17, 3) m, contacts (T, 2), hgr counts)``.

    The sampling generator (seq2seq3d) runs free on the NumPy engine, each sampled pose checked
    before it is fed back; a model that makes the whole sequence at once (``bundle.autoregressive``
    False: the comparison models, :mod:`dancegen.model.baselines.bundle3d`) gives its poses
    (``bundle.motion``, torch, single-threaded) and the loop corrects each one in order (corrected
    output: nothing is fed back)."""
    if getattr(bundle, "autoregressive", True):
        from threadpoolctl import threadpool_limits

        # one BLAS thread: at batch 1 the products are small, and a second thread only waits
        # (on a busy machine, for a core: measured 9.9 against 0.4 ms per frame)
        with threadpool_limits(limits=1, user_api="blas"):
            return _sample3d(bundle, feats_std, genre_idx, opts)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            raw = bundle.motion(feats_std, genre_idx, opts)
    finally:
        torch.set_num_threads(threads)
    loop = HGRLoop3D(bundle.ref_lengths, bundle.fps, opts.feedback)
    for t in _frames(len(raw), opts):
        loop.propose(raw[t])
        loop.commit()
    return loop.result()


def _sample3d(bundle, feats_std: np.ndarray, genre_idx: int, opts: Generate3DOptions):
    """Free-running sampled decoding of the seq2seq3d model (see :func:`decode3d`), on the NumPy
    engine (:mod:`dancegen.model.infer3d`: no torch)."""
    import math

    from . import motion3d
    from .infer3d import mdn_sample

    eng = bundle.engine
    mean, std = bundle.pose_mean.astype(np.float64), bundle.pose_std.astype(np.float64)
    T, D = len(feats_std), len(mean)
    rng = np.random.default_rng(int(opts.seed))
    pool = bundle.seed_poses
    seed_raw = pool[int(rng.integers(len(pool)))].astype(np.float64)
    seed_raw[motion3d.SL_VEL] = 0.0
    seed_raw[motion3d.SL_DYAW] = 0.0
    loop = HGRLoop3D(bundle.ref_lengths, bundle.fps, opts.feedback, start=seed_raw)
    enc = eng.encode(np.ascontiguousarray(feats_std, np.float32), opts.chunk, opts.margin)
    mem = eng.memory(enc)
    prev_n = ((seed_raw - mean) / std).astype(np.float32)
    # decoder restarts: every restart_s the recurrent state starts afresh from the current pose and
    # the coming window's music summary, as every training window did: the model never runs far
    # past the horizon it was trained on (long songs do not freeze)
    W = int(round(opts.restart_s * bundle.fps)) if opts.restart_s > 0 else T

    def fresh_state(t0, prev):
        return eng.start(enc[t0:t0 + W].mean(0), prev)

    state = fresh_state(0, prev_n)
    ge = eng.genre(genre_idx)
    rho, rho_c = float(opts.noise_corr), float(opts.component_corr)
    a_eps, a_c = (1 - rho * rho) ** 0.5, (1 - rho_c * rho_c) ** 0.5 if rho_c >= 0 else 0.0
    eps_prev = rng.standard_normal(D)
    zc_prev = float(rng.standard_normal())
    # unsticking: the body's speed (joints relative to the root), averaged over ~2 s; while it is
    # under opts.unstick x the training dances' mean, the mixture component is picked with weights
    # tilted toward the components whose mean pose lies farthest from the current one (the moving
    # ones), by opts.unstick_bias per unit of the shortfall factor (at most opts.unstick_max)
    ref_body = float(bundle.body_speed(bundle.genres[genre_idx], opts.genre_energy) or 0.0)
    body_speed, a_ema = ref_body, 1.0 / (2.0 * bundle.fps)
    for t in _frames(T, opts):
        tilt = 0.0
        if opts.unstick > 0 and ref_body > 0 and opts.unstick_bias > 0:
            tilt = opts.unstick_bias * (min(opts.unstick * ref_body / max(body_speed, 1e-6), opts.unstick_max) - 1.0)
        if t and t % W == 0:
            state = fresh_state(t, prev_n)
        (logit, mu, ls), state = eng.step(mem, t, prev_n, state, ge)
        if tilt > 0:
            mv = np.sqrt(((mu - prev_n) ** 2).mean(-1))
            logit = logit + np.float32(tilt) * (mv - mv.mean()) / (mv.std() + 1e-6)
        for k in range(loop.tries):
            # time-correlated noise (an AR(1) process with unit variance): the same spread
            # per frame, without frame-to-frame jitter; a resample draws afresh
            fresh = rng.standard_normal(D)
            eps = rho * eps_prev + a_eps * fresh if k == 0 else fresh
            # the mixture component, picked with time-correlated noise too (rho_c < 0: afresh each frame)
            zc = float(rng.standard_normal())
            if rho_c >= 0 and k == 0:
                zc = rho_c * zc_prev + a_c * zc
            u = 0.5 * (1 + math.erf(zc / 2 ** 0.5)) if rho_c >= 0 else None
            xr = mdn_sample(logit, mu, ls, opts.temperature, opts.noise, eps, u, rng).astype(np.float64) * std + mean
            if loop.propose(xr, last=k == loop.tries - 1):
                break
        prev_world = loop.prev_world
        xr = loop.commit()
        if t:
            world = loop.prev_world
            sp = float(np.linalg.norm((world - world[:1]) - (prev_world - prev_world[:1]), axis=-1).mean()) * bundle.fps
            body_speed += a_ema * (sp - body_speed)
        eps_prev, zc_prev = eps, zc
        prev_n = ((xr - mean) / std).astype(np.float32)
    return loop.result()


def _checked(integ, corr, xr, prev_world, prev_contact):
    """Decode a candidate pose and apply the floor and foot-sliding rules (root shift); returns
    ``(world, heading, floor position, pose vector with the shift folded in)``."""
    from . import motion3d

    world, h, xz = integ.peek(xr)
    if corr is None:
        return world, h, xz, xr
    shift, acted = corr.fix_floor_and_slide(world, prev_world, xr[motion3d.SL_CONTACT], prev_contact, count=False)
    if acted:
        xr = xr.copy()
        world = world + shift
        xz = xz + shift[[0, 2]]
        xr[motion3d.SL_ROOT_Y] += shift[1]
        d = xz - integ.xz
        c, s = np.cos(integ.h), np.sin(integ.h)
        xr[1], xr[2] = c * d[0] - s * d[1], s * d[0] + c * d[1]
    corr.last_acted = acted
    return world, h, xz, xr


def govern3d(world: np.ndarray, fps: float, ref_lengths: np.ndarray, ref_speed: float, floor: float = 0.6,
             window_s: float = 4.0, smooth_s: float = 2.0, max_gain: float = 4.0,
             ceiling: float = 0.0):
    """Energy governor for the 3D model: where the body's mean joint speed (joints relative to the
    root) over ``window_s`` falls under ``floor`` x ``ref_speed`` (the training dances' mean joint
    speed in m/s), the bone directions' deviations from their ``smooth_s`` moving average are
    scaled up by the missing factor (at most ``max_gain``, smoothed over time) and renormalised;
    the root's path and every bone length are untouched. ``ceiling`` > 0: where it runs over
    ``ceiling`` x ``ref_speed`` the deviations, and the turning rate (a fast spin moves every joint
    about the root), are scaled down the same way. Returns ``(world, gain (T,))``."""
    from scipy.ndimage import gaussian_filter1d, uniform_filter1d

    from ..skeleton import joint_speed

    j = np.asarray(world, np.float64)
    rel = j - j[:, :1]
    sp = np.r_[0.0, joint_speed(rel, fps, difference="steps")]
    local = uniform_filter1d(sp, max(1, int(window_s * fps)), mode="nearest")
    gain = np.clip(floor * ref_speed / np.maximum(local, 1e-6), 1.0, max_gain)
    if ceiling > 0:
        gain = gain * np.clip(ceiling * ref_speed / np.maximum(local, 1e-6), 1.0 / max_gain, 1.0)
    gain = gaussian_filter1d(gain, fps, mode="nearest")
    if np.abs(gain - 1.0).max() <= 1e-6:
        return world, gain
    # a fast spin is body speed too (the joints turn about the root): where the gain is under 1,
    # the turning rate is scaled by it as well
    return scale_motion(j, fps, ref_lengths, gain, smooth_s, turn_gain=np.minimum(gain, 1.0)), gain


def scale_motion(world: np.ndarray, fps: float, ref_lengths: np.ndarray, body_gain: np.ndarray, smooth_s: float,
                 travel_gain: np.ndarray | None = None, turn_gain: np.ndarray | None = None) -> np.ndarray:
    """The motion of ``world (T, 17, 3)`` scaled frame by frame: the bone directions' deviations
    from their ``smooth_s`` moving average by ``body_gain (T,)``, and where given the floor
    velocity by ``travel_gain`` and the turning rate by ``turn_gain`` (each ``(T,)``). The root's
    height stays; every bone is at ``ref_lengths``."""
    from scipy.ndimage import gaussian_filter1d

    from . import motion3d

    j = np.asarray(world, np.float64)
    x = motion3d.encode(j, fps).astype(np.float64)
    x[:, motion3d.SL_ROOT_Y] = j[:, 0, 1]          # (encode rounds to float32)
    d = x[:, motion3d.SL_DIRS]
    m = gaussian_filter1d(d, smooth_s * fps / 2, axis=0, mode="nearest")
    x[:, motion3d.SL_DIRS] = m + body_gain[:, None] * (d - m)
    if travel_gain is not None:
        x[:, motion3d.SL_VEL] *= travel_gain[:, None]
    if turn_gain is not None:
        x[:, motion3d.SL_DYAW] *= turn_gain
    h0 = float(motion3d._unwrap_heading(j)[0])
    return motion3d.decode(x, ref_lengths, start_xz=j[0, 0, [0, 2]], start_heading=h0)


def loudness_gain(y: np.ndarray, sr: int, T: int, fps: float, k: float, clip: float, win_s: float = 2.0) -> np.ndarray:
    """``(T,)`` gain that follows the music's loudness: ``1 + k (L - median L) / 10 dB`` within
    ``1 -/+ clip``, ``L`` the RMS level (dB) of the waveform ``y`` over ``win_s`` around each frame."""
    from scipy.ndimage import uniform_filter1d

    hop = sr / fps
    idx = np.minimum((np.arange(T + 1) * hop).astype(int), len(y))
    c = np.r_[0.0, np.cumsum(np.asarray(y, np.float64) ** 2)]
    e = (c[idx[1:]] - c[idx[:-1]]) / np.maximum(idx[1:] - idx[:-1], 1)
    e = uniform_filter1d(e, max(1, int(round(win_s * fps))), mode="nearest")
    L = 10 * np.log10(e + 1e-10)
    return np.clip(1.0 + k * (L - np.median(L)) / 10.0, 1.0 - clip, 1.0 + clip)


def follow_loudness(world: np.ndarray, fps: float, ref_lengths: np.ndarray, y: np.ndarray, sr: int, k: float,
                    clip: float, smooth_s: float = 1.0, travel: bool = True):
    """Quiet passages quieter, loud ones livelier: the bone directions' deviations from their
    ``smooth_s`` moving average and (``travel``) the floor velocity and the turning rate scaled by
    :func:`loudness_gain`. Returns ``(world, gain (T,))``; every bone keeps its length."""
    g = loudness_gain(y, sr, len(world), fps, k, clip)
    tg = g if travel else None
    return scale_motion(world, fps, ref_lengths, g, smooth_s, travel_gain=tg, turn_gain=tg), g


#: the joint groups :func:`polish3d` smooths, each with its own width
POLISH_GROUPS = {"upper": ("Neck", "Head", "RShoulder", "LShoulder"),
                 "arms": ("RElbow", "RWrist", "LElbow", "LWrist"),
                 "legs": ("MidHip", "RHip", "RKnee", "RAnkle", "RBigToe", "LHip", "LKnee", "LAnkle", "LBigToe")}


def polish3d(world: np.ndarray, fps: float, ref_lengths: np.ndarray, travel_gain: float = 1.0,
             root_sigma: float = 0.0, sigmas: dict | None = None) -> np.ndarray:
    """The last touch on a sampled 3D dance ``(T, 17, 3)`` m, measured against the real takes
    (docs/generation3d.md):

    * the root's floor velocity (in the heading frame) is multiplied by ``travel_gain``: the model
      travels less than the dancers it learnt from (0.89 of the real train takes' speed on their
      own songs, 0.75 on the val songs);
    * the floor velocity and the turning rate are smoothed (Gaussian, ``root_sigma`` frames): the
      sampled path shakes frame to frame where a dancer's is smooth;
    * each joint group of :data:`POLISH_GROUPS` is smoothed in world space with its own width
      ``sigmas[group]`` (frames): the sampled neck and head shake (their mean acceleration was
      1.5-1.9x the real dancers'), while the feet keep their sharp steps;

    then every bone is put back at its reference length (directions kept). The root's height and
    path otherwise stay. Returns float32 joints."""
    from scipy.ndimage import gaussian_filter1d

    from .. import body3d as b3
    from . import motion3d

    j = np.asarray(world, np.float64)
    if len(j) < 3:
        return np.asarray(world, np.float32)
    if travel_gain != 1.0 or root_sigma > 0:
        x = motion3d.encode(j, fps).astype(np.float64)
        x[:, motion3d.SL_ROOT_Y] = j[:, 0, 1]
        x[:, motion3d.SL_VEL] *= travel_gain
        if root_sigma > 0:
            turn = slice(motion3d.SL_VEL.start, motion3d.SL_DYAW + 1)
            x[:, turn] = gaussian_filter1d(x[:, turn], root_sigma, axis=0, mode="nearest")
        h0 = float(motion3d._unwrap_heading(j)[0])
        j = motion3d.decode(x, ref_lengths, start_xz=j[0, 0, [0, 2]], start_heading=h0).astype(np.float64)
    for group, sigma in (sigmas or {}).items():
        if sigma > 0:
            idx = [b3.JOINT3D_INDEX[n] for n in POLISH_GROUPS[group]]
            j[:, idx] = gaussian_filter1d(j[:, idx], sigma, axis=0, mode="nearest")
    return b3.retarget(j, ref_lengths).astype(np.float32)


def generate_dance3d(music, bundle, opts: Generate3DOptions | None = None):
    """Generate a 3D dance for ``music`` (path) with a :class:`~dancegen.model.bundle3d.Model3DBundle`.

    Runs with one BLAS thread from the features to the camera: a product's rounding depends on
    the thread count, and the sampler amplifies any difference, so this keeps "the same seed gives
    the same dance, bit for bit" true whatever ``OMP_NUM_THREADS`` says."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _generate_dance3d(music, bundle, opts)


def _generate_dance3d(music, bundle, opts: Generate3DOptions | None = None):
    from .. import body3d as b3
    from ..audio.features import FeatureStats
    from ..camera import CameraConfig, film
    from ..dance import Dance
    from .generate import check_fps, keep_on_canvas, pick_genre, prepare_music

    opts = opts or Generate3DOptions()
    tm = opts.timings
    if not (0 <= opts.temperature <= 3 and np.isfinite(opts.temperature)):
        raise ConfigError(f"--temperature {opts.temperature}: use 0 (most likely) to 3; 1 samples the model as trained")
    for name, v, lo, hi in (("component_corr", opts.component_corr, -1.0, 0.9999), ("noise_corr", opts.noise_corr, 0.0, 0.9999),
                            ("restart_s", opts.restart_s, 0.0, 3600.0), ("unstick", opts.unstick, 0.0, 1.0),
                            ("unstick_max", opts.unstick_max, 1.0, 10.0),
                            ("unstick_bias", opts.unstick_bias, 0.0, 20.0), ("travel_gain", opts.travel_gain, 0.5, 2.0),
                            ("energy_floor", opts.energy_floor, 0.0, 4.0), ("energy_ceiling", opts.energy_ceiling, 0.0, 4.0),
                            ("energy_floor_after", opts.energy_floor_after, 0.0, 4.0), ("loudness", opts.loudness, 0.0, 5.0),
                            ("loudness_clip", opts.loudness_clip, 0.0, 0.9),
                            ("smooth_root", opts.smooth_root, 0.0, 25.0), ("smooth_upper", opts.smooth_upper, 0.0, 25.0),
                            ("smooth_arms", opts.smooth_arms, 0.0, 25.0), ("smooth_legs", opts.smooth_legs, 0.0, 25.0),
                            ("steady_upper", opts.steady_upper, 0.0, 25.0)):
        if not (np.isfinite(v) and lo <= v <= hi):
            raise ConfigError(f"{name} {v}: use a value from {lo:g} to {hi:g} (see Generate3DOptions)")
    music = str(music)
    out_fps = check_fps(opts.fps, bundle.fps)
    t1 = time.perf_counter()
    fs, duration, audio = prepare_music(music, bundle.feature_config, opts.start, opts.duration, return_audio=True)
    feats = FeatureStats.from_dict(bundle.feature_stats).apply(fs.values)
    tm["features_s"] = time.perf_counter() - t1
    genre_auto = None
    if opts.genre in (None, "auto"):
        genre, genre_auto = pick_genre(audio, opts.start, duration, fs.tempo, bundle.genres)
    else:
        genre = opts.genre
    if genre not in bundle.genres:
        raise ConfigError(f"--genre {genre!r}: this model knows {', '.join(bundle.genres)} (or auto)")
    t2 = time.perf_counter()
    world, contacts, counts = decode3d(bundle, feats, bundle.genres.index(genre), opts)
    tm["decode_s"] = time.perf_counter() - t2
    tm["ms_per_frame"] = 1e3 * tm["decode_s"] / max(1, len(world))
    from .beatlock import dance_beat_grid

    onset = fs.values[:, fs.names.index("onset")] if "onset" in fs.names else None
    grid = dance_beat_grid(fs.beats, fs.tempo, None if onset is None else
                           onset[np.clip(np.round(fs.beats * fs.fps).astype(int), 0, len(onset) - 1)])
    meta = {"model": bundle.info.get("name", "default3d"), "genre_source": "auto" if opts.genre in (None, "auto") else "user",
            "tempo": float(fs.tempo), "feedback": bool(opts.feedback), "seed": int(opts.seed),
            "temperature": float(opts.temperature), "hgr3d": counts,
            # the beat grid the dance is locked to, seconds in the music (metrics.beat.danced_beats)
            "beats": [round(float(opts.start + b), 4) for b in grid]}
    if genre_auto is not None:
        meta["genre_auto"] = genre_auto
    fps = bundle.fps
    ref_speed = bundle.body_speed(genre, opts.genre_energy)
    meta["ref_body_speed"] = None if ref_speed is None else round(float(ref_speed), 4)
    if opts.loudness > 0:
        y, sr, _ = audio
        world, lg = follow_loudness(world, fps, bundle.ref_lengths, y, sr, opts.loudness, opts.loudness_clip,
                                    travel=bool(opts.loudness_travel))
        meta["loudness_gain"] = [round(float(lg.min()), 3), round(float(lg.max()), 3)]
    if opts.energy_floor > 0 and ref_speed:
        world, gain = govern3d(world, fps, bundle.ref_lengths, ref_speed, floor=opts.energy_floor,
                               ceiling=opts.energy_ceiling)
        tm["energy_gain_max"] = float(gain.max())
        meta["energy_gain_max"] = round(float(gain.max()), 3)
    world = polish3d(world, fps, bundle.ref_lengths, travel_gain=opts.travel_gain, root_sigma=opts.smooth_root,
                     sigmas={"upper": opts.smooth_upper, "arms": opts.smooth_arms, "legs": opts.smooth_legs})
    if opts.energy_floor_after > 0 and ref_speed:
        # the polish takes the frame-scale shake away, and in a nearly still passage that was most
        # of the speed the governor counted: lift what fell under the floor once more (nebula, a
        # quiet passage: 10-s window 0.54 of the real speed without, 0.65 with; docs/generation3d.md)
        world, gain = govern3d(world, fps, bundle.ref_lengths, ref_speed, floor=opts.energy_floor_after)
        meta["energy_gain_max_after"] = round(float(gain.max()), 3)
    if opts.beat_lock and len(grid) >= 2:
        from .beatlock import lock_to_beats

        t3 = time.perf_counter()
        # the motion beats of the body, not of its travel: the lock sees the joints relative to the
        # root, with the root's path carried along at 1/1000 scale (every warp is a linear
        # interpolation in time, so scaling it back is exact)
        rel = world - world[:, :1]
        both = np.concatenate([rel, world[:, :1] * 1e-3], axis=1)
        both = lock_to_beats(both, fps, grid, max_rate_change=opts.max_rate_change, accent=opts.accent)
        world = (both[:, :-1] + both[:, -1:] * 1e3).astype(np.float32)
        tm["beat_lock_s"] = time.perf_counter() - t3
        meta["beat_lock"] = {"max_rate_change": opts.max_rate_change, "accent": opts.accent}
    meta["polish"] = {"travel_gain": opts.travel_gain, "root": opts.smooth_root, "upper": opts.smooth_upper,
                      "arms": opts.smooth_arms, "legs": opts.smooth_legs, "steady_upper": opts.steady_upper}
    if opts.steady_upper > 0:
        # the beat lock's time warp and accents shake the whole figure again; the beat sits in the
        # root's path and the limbs (docs/generation3d.md), so only the neck, head and shoulders
        # are smoothed once more
        world = polish3d(world, fps, bundle.ref_lengths, sigmas={"upper": opts.steady_upper})
    T_out = int(round(duration * out_fps))
    if abs(out_fps - fps) > 1e-6 or len(world) != T_out:
        world = change_fps(world, fps, out_fps, T_out).astype(np.float32)
    world = b3.retarget(world, bundle.ref_lengths)   # interpolation shortens bones: back to the reference
    # the governor and the beat lock act after the HGR loop: a foot they put under the floor is
    # lifted back onto it as the loop would (the whole body, only in those frames; loop off: not)
    from ..feedback.online3d import Rules3D, below_floor

    sunk, low = below_floor(world, Rules3D().floor_tol)
    if opts.feedback and sunk.any():
        world = world.copy()
        world[sunk, :, 1] -= low[sunk, None]
        meta["floor_lifts_after_loop"] = int(sunk.sum())
    cam = opts.camera if opts.camera is not None else CameraConfig()
    kp, caminfo = film(world, out_fps, cam, canvas=opts.canvas)
    kp2 = keep_on_canvas(kp, opts.canvas)
    from ..feedback.online3d import check3d
    from ..feedback.structure import analyze

    meta["hgr3d_final"] = {k: int(v.sum()) for k, v in check3d(world, out_fps, bundle.ref_lengths).items()}
    rep2 = analyze(kp2, out_fps)
    meta["hgr2d"] = {k: int(len(v)) for k, v in rep2.faulty_frames.items()}
    meta["camera"] = {**caminfo["config"], "focal": caminfo["focal"],
                      "on_canvas_shift_px": float(np.abs(kp2 - kp).max())}
    return Dance(keypoints=kp2, fps=out_fps, canvas=opts.canvas, music=str(Path(music).resolve()),
                 offset=float(opts.start), genre=genre, name=Path(music).stem, meta=meta,
                 joints3d=world.astype(np.float32), joint3d_names=b3.JOINTS3D)
