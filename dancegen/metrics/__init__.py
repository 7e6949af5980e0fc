"""Every number the paper reports, each a pure function (definitions in docs/metrics.md).

Families: :mod:`.beat` (motion beats, beat alignment error, beat-align scores in the Bailando and
FACT forms), :mod:`.motion` (joint position error, smoothness), :mod:`.features` (kinetic and
geometric motion features), :mod:`.fid` (Frechet distance, diversity), :mod:`.classify` (genre
classifier and accuracy), :mod:`.image` (SSIM, PSNR), :mod:`.stance` (named stances and symmetry
per stance), :mod:`.timing` (inference time per frame),
:mod:`.published` (the AIST++/FACT/Bailando forms on SMPL-24 joints, for comparison with papers).
"""
from __future__ import annotations

import importlib

# Public name -> submodule. Imported lazily (PEP 562) so that ``dancegen --help``, which imports
# ``dancegen.evaluate.commands``, does not pay for scipy.
_EXPORTS = {
    "beat": ("motion_beats", "joint_speed", "beat_alignment_error", "beat_align_score_bailando",
             "beat_align_score_fact", "beat_metrics"),
    "motion": ("joint_position_error", "smoothness", "window_speed"),
    "features": ("kinetic_features", "kinetic_features_aist", "kinetic_features_2d",
                 "geometric_features_2d", "geometric_relations_2d", "motion_features",
                 "KINETIC_FEATURE_NAMES", "GEOMETRIC_FEATURE_NAMES"),
    "fid": ("frechet_distance", "diversity", "normalize_features", "gaussian_stats"),
    "classify": ("GenreClassifier", "genre_accuracy", "window_features"),
    "image": ("ssim", "psnr", "frames_ssim_psnr", "aggregate_by_genre"),
    "stance": ("STANCES", "STANCE_THRESHOLDS", "detect_stances", "symmetry_per_stance", "symmetry_score"),
    "timing": ("time_per_frame",),
    "published": ("SMPL24_JOINTS", "smpl24_from_coco17", "smpl24_from_body3d", "resample_fps",
                  "kinetic_features_published", "geometric_features_published",
                  "geometric_relations_published", "fid_published", "motion_beats_published",
                  "beat_align_score_published"),
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = list(_WHERE)


def __getattr__(name: str):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
