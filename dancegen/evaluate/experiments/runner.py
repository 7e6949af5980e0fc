"""Load each model once, generate each dance once, hand them to the experiments in a :class:`DanceSet`.

The experiments say what they need as :class:`Request` values (model, music, span, feedback, seed,
genre, glitch rate); :meth:`Runner.fill` generates every request not yet in the set, once, and stores
it as a :class:`Generation` under the request. Two experiments asking for the same dance (Table 2 and
the SSIM figure on the val takes, the beat-length sweep and the unseen songs when the lengths agree)
share one generation. A model whose file does not load, or that fails to generate, is marked *not
available* with the reason and its dances are dropped (the experiments then skip it); nothing else
is dropped.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ...dance import Dance
from ...errors import ConfigError, DanceGenError


# ------------------------------------------------------------------------------------------ types
@dataclass
class ModelEntry:
    """One model of an evaluation and what became of it.

    ``status`` before :meth:`Runner.load`: ``found`` (a model file), ``checkpoint`` (only a
    ``last.ckpt``: training unfinished) or ``missing``; after: ``ok``, ``ok (last.ckpt)``,
    ``missing`` or ``not available`` (with ``reason``). ``is_3d``, ``fps``, ``ref_px`` (the 2D
    reference bone lengths in px; None for a 3D model, whose dances use a per-dance reference),
    ``ref3d`` (a 3D model's reference skeleton, m) and ``info`` (the file's training facts) are read
    from the loaded file. ``train``: the command that makes the file (shown when it is missing)."""
    name: str
    label: str
    path: str | None                 # model file; None: the bundled default
    feedback: bool = True            # generate with the HGR online correction
    kind: str = ""
    status: str = "found"
    reason: str = ""
    optional: bool = False           # not listed as missing when absent
    is_3d: bool = False
    fps: float = float("nan")
    ref_px: np.ndarray | None = None
    ref3d: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    train: str = ""

    @property
    def ok(self) -> bool:
        return self.status.startswith("ok")

    @property
    def run_dir(self) -> Path | None:
        """The folder of the model file (a training run: its logs, ``train_info.json``)."""
        return Path(self.path).parent if self.path else None

    def as_json(self) -> dict:
        return {"path": self.path, "status": self.status, "reason": self.reason, "label": self.label,
                "kind": self.kind, "feedback": self.feedback, "optional": self.optional, "is_3d": self.is_3d,
                "train": self.train}


@dataclass(frozen=True)
class Request:
    """One generation: the model ``model`` dances ``music`` from ``start`` for ``duration`` seconds
    (None: to the end). ``genre`` None: the generator picks it; ``glitch_rate``: the HGR stress test
    (faults put into the raw decoder output, 2D models only)."""
    model: str
    music: str
    start: float = 0.0
    duration: float | None = None
    feedback: bool = True
    seed: int = 0
    genre: str | None = None
    glitch_rate: float = 0.0


@dataclass
class Generation:
    dance: Dance
    ms_per_frame: float              # decoder time per frame (music features excluded)


@dataclass
class DanceSet:
    """Everything the experiments read: real dances, songs, models and generated dances.

    ``val``: the real val takes, each cut to the span that is evaluated (the generated dance of take
    i covers the same span of the same song); ``train``: the real train takes (genre classifier,
    FID floor; may be empty when ``classifier`` is given); ``songs``: unseen songs, danced from 0 s
    for ``unseen_max_s`` seconds (None: whole). ``generated`` maps each :class:`Request` to its
    :class:`Generation`; ``beats``, ``song_seconds`` and ``classifier`` are filled on demand."""
    val: list[Dance]
    train: list[Dance] = field(default_factory=list)
    songs: list[str] = field(default_factory=list)
    models: dict[str, ModelEntry] = field(default_factory=dict)
    seed: int = 0
    unseen_max_s: float | None = None
    generated: dict[Request, Generation] = field(default_factory=dict)
    classifier: object | None = None
    beats: dict[str, np.ndarray] = field(default_factory=dict)
    song_seconds: dict[str, float] = field(default_factory=dict)

    # -- what the experiments ask for
    def available(self, names: Iterable[str] | None = None) -> list[str]:
        """Names of the models that loaded and generated (``names``: among these, in this order)."""
        names = list(self.models) if names is None else list(names)
        return [n for n in names if n in self.models and self.models[n].ok]

    def request(self, model: str, music, start: float = 0.0, duration: float | None = None,
                feedback: bool | None = None, genre: str | None = None, glitch_rate: float = 0.0) -> Request:
        """A request with this set's seed; ``feedback`` None: the model's own setting."""
        fb = self.models[model].feedback if feedback is None else bool(feedback)
        return Request(model, str(music), float(start), None if duration is None else float(duration), fb,
                       int(self.seed), genre, float(glitch_rate))

    def val_request(self, model: str, i: int, feedback: bool | None = None, glitch_rate: float = 0.0) -> Request:
        """Val take ``i``: its song over its span, its genre."""
        c = self.val[i]
        return self.request(model, c.music, c.offset, c.duration, feedback, c.genre, glitch_rate)

    def unseen_request(self, model: str, j: int, feedback: bool | None = None) -> Request:
        """Unseen song ``j`` from 0 s for :attr:`unseen_max_s` (genre picked by the generator)."""
        return self.request(model, self.songs[j], 0.0, self.unseen_max_s, feedback)

    def val_requests(self, model: str, **kw) -> list[Request]:
        return [self.val_request(model, i, **kw) for i in range(len(self.val))]

    def unseen_requests(self, model: str, **kw) -> list[Request]:
        return [self.unseen_request(model, j, **kw) for j in range(len(self.songs))]

    # -- what the experiments read
    def get(self, req: Request) -> Generation | None:
        return self.generated.get(req)

    def dances(self, requests: Iterable[Request]) -> list[Dance] | None:
        """The generated dances of ``requests``; None if any of them is absent (model not available)."""
        g = [self.generated.get(r) for r in requests]
        return None if any(x is None for x in g) else [x.dance for x in g]

    def gen_val(self, model: str, **kw) -> list[Dance] | None:
        return self.dances(self.val_requests(model, **kw))

    def gen_unseen(self, model: str, **kw) -> list[Dance] | None:
        return self.dances(self.unseen_requests(model, **kw))

    def music_beats(self, path) -> np.ndarray:
        """Beat times (s) of a music file (:func:`dancegen.audio.beats.beats_for_file`), cached."""
        path = str(path)
        if path not in self.beats:
            from ...audio.beats import beats_for_file

            self.beats[path] = np.asarray(beats_for_file(path).beats, np.float64)
        return self.beats[path]

    def seconds(self, song) -> float:
        """Length of a music file in seconds, cached."""
        song = str(song)
        if song not in self.song_seconds:
            from ...audio.io import audio_duration

            self.song_seconds[song] = float(audio_duration(song))
        return self.song_seconds[song]

    def genre_classifier(self):
        """:attr:`classifier`, fitted on :attr:`train` the first time (None when there is neither)."""
        if self.classifier is None and self.train:
            from ...metrics import GenreClassifier

            self.classifier = GenreClassifier().fit(self.train)
        return self.classifier


# ------------------------------------------------------------------------------------------ generation
def generate_one(bundle, req: Request) -> Generation:
    """One generation with either generator: :func:`dancegen.model.generate.generate_dance` for a 2D
    or comparison model, :func:`dancegen.model.generate3d.generate_dance3d` for a 3D one."""
    from ...model.generate import GenerateOptions, generate_dance
    from ...model.generate3d import Generate3DOptions, generate_dance3d

    kw = dict(start=req.start, duration=req.duration, seed=req.seed, genre=req.genre, feedback=req.feedback,
              progress=False)
    if getattr(bundle, "is_3d", False):
        if req.glitch_rate:
            raise ConfigError("the glitch stress test needs a 2D model")
        opts = Generate3DOptions(**kw)
        d = generate_dance3d(req.music, bundle, opts)
    else:
        opts = GenerateOptions(glitch_rate=req.glitch_rate, **kw)
        d = generate_dance(req.music, bundle, opts)
    return Generation(d, float(opts.timings.get("ms_per_frame", float("nan"))))


def load_model(path):
    """Any generator file (2D, 3D or comparison model; None: the bundled default):
    :func:`dancegen.model.generate3d.load_generator`."""
    from ...model.generate3d import load_generator

    return load_generator(path)


class Progress:
    """A tqdm bar on stderr (or nothing)."""

    def __init__(self, total: int = 0, enabled: bool = False, desc: str = "report"):
        self.bar, self.desc = None, desc
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr, mininterval=0.5)

    def add(self, n: int):
        if self.bar is not None and n:
            self.bar.total += n
            self.bar.refresh()

    def step(self, desc: str | None = None, n: int = 1):
        if self.bar is not None:
            if desc:
                self.bar.set_description(f"{self.desc}: {desc}"[:60])
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class Runner:
    """Loads models and generates requests, each once.

    ``loader(path) -> bundle`` and ``generate(bundle, request) -> Generation`` default to
    :func:`load_model` and :func:`generate_one` (tests pass fakes). ``loads`` and ``calls`` count
    what was done, ``timings`` the seconds spent (``generate_s``, ``<experiment>_s``: each
    experiment's :func:`run_experiments` step). ``strict``: a load or generation error is raised
    rather than marking the model."""

    def __init__(self, loader: Callable | None = None, generate: Callable | None = None,
                 progress: Progress | None = None, log=sys.stderr, strict: bool = False):
        self.loader = loader or load_model
        self.generate = generate or generate_one
        self.progress = progress or Progress()
        self.bundles: dict = {}
        self.loads = 0
        self.calls = 0
        self.log = log
        self.strict = strict
        self.timings: dict = {}

    def load(self, models: dict[str, ModelEntry]) -> dict[str, ModelEntry]:
        """Load every ``found`` / ``checkpoint`` entry (once; already loaded ones are kept) and set its
        status, ``is_3d``, ``fps``, ``kind`` and ``ref_px``. Returns ``models``. With ``strict``, a
        file that does not load raises (:class:`~dancegen.errors.ModelError`) instead."""
        for name, m in models.items():
            if name in self.bundles or m.status not in ("found", "checkpoint"):
                continue
            try:
                b = self.loader(m.path)
                self.loads += 1
            except DanceGenError as e:
                if self.strict:
                    raise
                unfinished = "no model.safetensors (training unfinished?); " if m.status == "checkpoint" else ""
                m.status, m.reason = "not available", f"{unfinished}does not load: {e}"
                continue
            self.bundles[name] = b
            m.status = "ok" if m.status == "found" else "ok (last.ckpt)"   # reason kept: unfinished
            m.is_3d = bool(getattr(b, "is_3d", False))
            m.fps = float(getattr(b, "fps", float("nan")))
            m.kind = m.kind or str(getattr(b, "kind", "3d" if m.is_3d else "seq2seq"))
            m.ref_px = None if m.is_3d else np.asarray(b.ref_lengths, np.float64) * float(b.body_scale)
            m.ref3d = np.asarray(b.ref_lengths, np.float64) if m.is_3d else None
            m.info = dict(getattr(b, "info", None) or {})
        return models

    def fill(self, dances: DanceSet, requests: Iterable[Request]) -> DanceSet:
        """Generate every request of an available model that ``dances`` does not hold yet, once, model
        by model. A model that fails is marked *not available* and its generations are removed (with
        ``strict`` set on the runner, the error is raised instead)."""
        todo: dict[str, list[Request]] = {}
        for r in requests:
            m = dances.models.get(r.model)
            if m is None or not m.ok or r in dances.generated or r in todo.get(r.model, ()):
                continue
            todo.setdefault(r.model, []).append(r)
        self.progress.add(sum(len(v) for v in todo.values()))
        for name, reqs in todo.items():
            try:
                bundle = self.bundles[name]
                for r in reqs:
                    dances.generated[r] = self.generate(bundle, r)
                    self.calls += 1
                    self.progress.step(f"{name} {Path(r.music).stem}")
            except Exception as e:   # a model that does not generate is reported, never dropped
                if self.strict:
                    raise
                m = dances.models[name]
                m.status, m.reason = "not available", f"generation failed: {type(e).__name__}: {e}"
                if self.log is not None:
                    print(f"dancegen: {name}: generation failed ({type(e).__name__}: {e})", file=self.log)
                for r in [r for r in dances.generated if r.model == name]:
                    del dances.generated[r]
        return dances


def run_experiments(dances: DanceSet, runner: Runner, experiments: list) -> dict:
    """``experiments``: ``(key, module, kwargs)`` triples. Generates what they all ask for
    (``module.requests(dances, **kwargs)``) once, then runs each (``module.run(dances, **kwargs)``);
    returns ``{key: result}``."""
    import time

    reqs = []
    for _, mod, kw in experiments:
        if hasattr(mod, "requests"):
            reqs += mod.requests(dances, **kw)
    t = time.perf_counter()
    runner.fill(dances, reqs)
    runner.timings["generate_s"] = round(runner.timings.get("generate_s", 0.0) + time.perf_counter() - t, 1)
    out = {}
    for key, mod, kw in experiments:
        t = time.perf_counter()
        out[key] = mod.run(dances, **kw)
        runner.timings[f"{key}_s"] = round(time.perf_counter() - t, 1)
        runner.progress.step(key)
    return out


def real_span(clip, max_s: float | None = None) -> Dance:
    """A real take cut to its first ``max_s`` seconds (None: whole), as a :class:`Dance`."""
    dur = clip.duration if max_s is None else min(clip.duration, max_s)
    n = int(round(dur * clip.fps))
    return Dance(keypoints=clip.keypoints[:n], fps=clip.fps, canvas=clip.canvas, music=clip.music,
                 offset=clip.offset, genre=clip.genre, name=clip.name, joints3d=None if clip.joints3d is None
                 else clip.joints3d[:n], joint3d_names=clip.joint3d_names)


__all__ = ["ModelEntry", "Request", "Generation", "DanceSet", "Runner", "Progress", "generate_one", "load_model",
           "run_experiments", "real_span"]
