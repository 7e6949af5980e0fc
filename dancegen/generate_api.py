"""``dancegen.generate(path, ...) -> Dance``: the Python entry point of the main job."""
from __future__ import annotations

from pathlib import Path


def generate(music, *, start: float = 0.0, duration: float | None = None, seed: int = 0,
             genre: str | None = None, fps: float | None = None, model: str | Path | None = None,
             feedback: bool = True, beat_lock: bool = True, seed_motion=None, progress: bool = False,
             out_dir: str | Path | None = None, video: bool = False, temperature: float = 1.0,
             camera: str = "front", yaw: float = 0.0, elevation: float = 8.0):
    """Generate a dance for a music file.

    Parameters mirror ``dancegen generate``; ``model`` is a model file (default: the bundled one),
    ``seed_motion`` a ``(S, 18, 2)`` pixel array or a :class:`~dancegen.dance.Dance`. When
    ``temperature``, ``camera`` (front | fixed | orbit), ``yaw`` and ``elevation`` apply to a 3D
    model (the dance then carries ``joints3d``). When ``out_dir`` is given, ``dance.npz`` (and ``dance.mp4`` if ``video``) are written there.
    Returns a :class:`~dancegen.dance.Dance` with ``T == round(duration * fps)`` frames.
    """
    from .dance import Dance
    from .model.generate import GenerateOptions, generate_dance
    from .model.generate3d import Generate3DOptions, generate_dance3d, load_generator

    bundle = load_generator(model)
    if getattr(bundle, "is_3d", False):
        from .camera import CameraConfig

        opts3 = Generate3DOptions(start=start, duration=duration, seed=seed, genre=genre, fps=fps,
                                  temperature=temperature, feedback=feedback, beat_lock=beat_lock,
                                  camera=CameraConfig(mode=camera, yaw=yaw, elevation=elevation), progress=progress)
        dance = generate_dance3d(music, bundle, opts3)
    else:
        if isinstance(seed_motion, Dance):
            seed_motion = seed_motion.keypoints
        opts = GenerateOptions(start=start, duration=duration, seed=seed, genre=genre, fps=fps, feedback=feedback,
                               beat_lock=beat_lock, seed_pose=seed_motion, progress=progress)
        dance = generate_dance(music, bundle, opts)
    if out_dir is not None:
        from .fileio import OutputSet

        out = Path(out_dir)
        # written together (an old dance.mp4 does not stay next to a new dance.npz); existing files replaced
        with OutputSet([out / "dance.npz", out / "dance.mp4"], force=True, folder=out) as outputs:
            dance.save(outputs.path("dance.npz"))
            if video:
                from .render.video import render_video

                render_video(dance, outputs.path("dance.mp4"), overwrite=True, progress=progress)
            outputs.commit()
    return dance
