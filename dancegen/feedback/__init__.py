"""HGR structural feedback: symmetry, bone-length and joint-jump checks on OpenPose-18 dances,
offline repair, the online closed-loop corrector used inside the generator, training losses, and
fault injection for evaluation. See docs/hgr.md.

Main entry points (torch is only imported by :mod:`.losses` and :func:`.online.correct_batch`)::

    from dancegen.feedback import analyze, repair, OnlineCorrector, reference_bone_lengths
    rep = analyze(kp, fps)                      # StructureReport: scores + faulty frames per kind
    fixed, info = repair(kp, fps, report=rep)   # smooth re-estimation of the faulty joints
    corr = OnlineCorrector(ref, fps)            # per-frame clamp inside the decoder loop
"""
# numpy only here (scipy and torch are imported inside the functions that need them), so that
# `dancegen --help`, which imports dancegen.feedback.commands, stays fast
from .online import OnlineCorrector, correct_batch
from .repair import repair
from .structure import (
    DEFAULT_LIMITS, FAULT_KINDS, Limits, StructureReport, analyze, bone_deviation,
    bone_stretch, reference_bone_lengths, symmetry_score,
)

__all__ = [
    "DEFAULT_LIMITS", "FAULT_KINDS", "Limits", "OnlineCorrector", "StructureReport", "analyze",
    "bone_deviation", "bone_stretch", "correct_batch", "reference_bone_lengths", "repair",
    "symmetry_score",
]
