"""Pose parameterisation used by the generator: neck position plus 17 bone vectors whose length can
never exceed the bone's reference ("true") length.

A pose of OpenPose-18 keypoints ``(18, 2)`` in pixels is encoded as a 36-vector:

* ``neck`` (2): neck position relative to the canvas centre, in body units (``scale`` pixels, the
  sequence's :func:`dancegen.skeleton.body_scale`: median neck-to-mid-hip length);
* ``bones`` (17 x 2): for each bone ``b = (parent, child)`` of :data:`dancegen.skeleton.BONES`,
  ``v_b = (p_child - p_parent) / (scale * ref_b)``, where ``ref_b`` is the bone's reference length
  in body units. ``|v_b| <= 1`` always: in 2D a bone looks shorter when it turns toward the camera,
  never longer than its true length.

Decoding is forward kinematics down the tree rooted at the neck. The network's raw bone outputs
``u_b`` pass through the soft norm clamp ``v = u * tanh(|u|) / |u|`` (``|v| < 1``), so a generated
bone is never drawn longer than its reference length: structural soundness by construction.
"""
from __future__ import annotations

import numpy as np
import torch

from ..skeleton import BONES, J, LR_BONE_PAIRS, body_scale, bone_lengths

N_BONES = len(BONES)
POSE_DIM = 2 + 2 * N_BONES  # 36
_PARENT = np.array([b[0] for b in BONES])
_CHILD = np.array([b[1] for b in BONES])


def reference_lengths(clips_kp: list[np.ndarray], q: float = 99.0) -> np.ndarray:
    """Reference bone lengths in body units, ``(17,)``: the ``q``-th percentile of each bone's length
    (divided by its clip's body scale) over all frames, shared between left and right bones (max).
    A high percentile estimates the true (un-foreshortened) length."""
    all_l = np.concatenate([bone_lengths(kp) / body_scale(kp) for kp in clips_kp], axis=0)
    ref = np.percentile(all_l, q, axis=0)
    for r, l in LR_BONE_PAIRS:
        ref[r] = ref[l] = max(ref[r], ref[l])
    return ref.astype(np.float32)


def encode(kp: np.ndarray, scale: float, center, ref: np.ndarray, max_norm: float = 0.999) -> np.ndarray:
    """Keypoints ``(..., 18, 2)`` pixels -> pose parameters ``(..., 36)`` (see module doc).
    Bone vectors longer than the reference are clipped to ``max_norm``."""
    kp = np.asarray(kp, dtype=np.float32)
    neck = (kp[..., 1, :] - np.asarray(center, np.float32)) / scale
    vec = (kp[..., _CHILD, :] - kp[..., _PARENT, :]) / (scale * np.asarray(ref, np.float32)[:, None])
    n = np.linalg.norm(vec, axis=-1, keepdims=True)
    vec = np.where(n > max_norm, vec * (max_norm / np.maximum(n, 1e-9)), vec)
    return np.concatenate([neck, vec.reshape(vec.shape[:-2] + (2 * N_BONES,))], axis=-1).astype(np.float32)


def decode(params: np.ndarray, scale: float, center, ref: np.ndarray) -> np.ndarray:
    """Pose parameters ``(..., 36)`` -> keypoints ``(..., 18, 2)`` pixels (forward kinematics)."""
    params = np.asarray(params, np.float32)
    vec = params[..., 2:].reshape(params.shape[:-1] + (N_BONES, 2)) * np.asarray(ref, np.float32)[:, None]
    out = np.empty(params.shape[:-1] + (J, 2), np.float32)
    out[..., 1, :] = params[..., :2]
    for b in range(N_BONES):  # BONES is in topological order from the neck
        out[..., _CHILD[b], :] = out[..., _PARENT[b], :] + vec[..., b, :]
    out *= np.float32(scale)
    out += np.asarray(center, np.float32)
    return out


def decode_torch(params: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Differentiable forward kinematics: ``(..., 36)`` -> joints ``(..., 18, 2)`` in body units
    relative to the canvas centre."""
    neck = params[..., :2]
    vec = params[..., 2:].reshape(params.shape[:-1] + (N_BONES, 2)) * ref[:, None]
    joints = [None] * J
    joints[1] = neck
    for b, (p, c) in enumerate(BONES):  # BONES is in topological order from the neck
        joints[c] = joints[p] + vec[..., b, :]
    return torch.stack(joints, dim=-2)


def clamp_bones(raw: torch.Tensor) -> torch.Tensor:
    """Network output ``(..., 36)`` -> valid parameters: bone vectors get the soft norm clamp
    ``u * tanh(|u|) / |u|`` (norm < 1); the neck passes through."""
    neck = raw[..., :2]
    u = raw[..., 2:].reshape(raw.shape[:-1] + (N_BONES, 2))
    n = torch.sqrt((u * u).sum(-1, keepdim=True) + 1e-8)
    v = u * torch.tanh(n) / n
    return torch.cat([neck, v.reshape(raw.shape[:-1] + (2 * N_BONES,))], dim=-1)


def unclamp_bones(params: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`clamp_bones` (for targets with ``|v| < 1``): ``u = v * atanh(|v|) / |v|``."""
    p = torch.as_tensor(params, dtype=torch.float32)
    neck = p[..., :2]
    v = p[..., 2:].reshape(p.shape[:-1] + (N_BONES, 2))
    n = torch.sqrt((v * v).sum(-1, keepdim=True)).clamp(1e-6, 0.999)
    u = v * torch.atanh(n) / n
    return torch.cat([neck, u.reshape(p.shape[:-1] + (2 * N_BONES,))], dim=-1)
