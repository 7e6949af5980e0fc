"""A synthetic 3D dancer for tests that must run without ../shared: a body on a fixed reference
skeleton (metres, y up) that steps around a circle, turns, swings its arms and bends its knees."""
import numpy as np

from dancegen import body3d as b3

REF = np.array([0.46, 0.17, 0.13, 0.28, 0.24, 0.13, 0.28, 0.24, 0.11, 0.45, 0.43, 0.2, 0.11, 0.45, 0.43, 0.2],
               np.float32)


def synthetic_dance3d(T: int = 200, fps: float = 25.0, radius: float = 1.0, seed: int = 0) -> np.ndarray:
    """World joints ``(T, 17, 3)`` float32 on :data:`REF`."""
    rng = np.random.default_rng(seed)
    t = np.arange(T) / fps
    ph = rng.uniform(0, 2 * np.pi)
    dirs = np.zeros((T, b3.NB3, 3))
    down, up = np.array([0, -1.0, 0]), np.array([0, 1.0, 0])
    B = {f"{b3.JOINTS3D[p]}-{b3.JOINTS3D[c]}": i for i, (p, c) in enumerate(b3.BONES3D)}
    dirs[:, B["MidHip-Neck"]] = up
    dirs[:, B["Neck-Head"]] = up
    dirs[:, B["Neck-RShoulder"]] = [-1, 0, 0]
    dirs[:, B["Neck-LShoulder"]] = [1, 0, 0]
    dirs[:, B["MidHip-RHip"]] = [-1, 0, 0]
    dirs[:, B["MidHip-LHip"]] = [1, 0, 0]
    sw = np.sin(2 * np.pi * t + ph)
    for side, s in (("R", -1), ("L", 1)):
        a = 0.9 * sw * (1 if side == "R" else -1)
        dirs[:, B[f"{side}Shoulder-{side}Elbow"]] = np.stack([s * 0.6 * np.ones(T), -np.cos(a), np.sin(a)], -1)
        dirs[:, B[f"{side}Elbow-{side}Wrist"]] = np.stack([s * 0.3 * np.ones(T), -np.cos(a) + 0.5, np.sin(a) + 0.3], -1)
        k = 0.35 * (1 + sw * (1 if side == "L" else -1))
        dirs[:, B[f"{side}Hip-{side}Knee"]] = np.stack([np.zeros(T), -np.cos(k), np.sin(k)], -1)
        dirs[:, B[f"{side}Knee-{side}Ankle"]] = np.stack([np.zeros(T), -np.cos(k), -np.sin(k) * 0.8], -1)
        dirs[:, B[f"{side}Ankle-{side}BigToe"]] = [0, -0.3, 1.0]
    local = b3.fk(np.zeros((T, 3)), dirs, REF)
    head = 0.4 * t + ph
    world = np.einsum("tij,tkj->tki", b3.rot_y(head), local)
    ang = 0.3 * t
    root = np.stack([radius * np.cos(ang), np.zeros(T), radius * np.sin(ang)], -1)
    world = world + root[:, None]
    low = np.minimum(world[:, 11, 1], world[:, 15, 1])
    world[..., 1] -= low[:, None]
    return world.astype(np.float32)
