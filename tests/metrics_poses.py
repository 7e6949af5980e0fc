"""Constructed OpenPose-18 poses and motions for the metrics tests (not a test module)."""
from __future__ import annotations

import numpy as np

L = 150.0  # torso length of the base pose, px


def base_pose() -> np.ndarray:
    """A standing person square to the camera, arms down, feet under the hips, (18, 2) px, y down.
    Torso length (neck to mid-hip) 150 px; it is left/right symmetric about x = 960."""
    p = np.zeros((18, 2))
    p[0] = (960, 340)                       # Nose
    p[1] = (960, 400)                       # Neck
    p[2], p[5] = (900, 400), (1020, 400)    # shoulders (person's right on image left)
    p[3], p[6] = (890, 490), (1030, 490)    # elbows
    p[4], p[7] = (885, 580), (1035, 580)    # wrists
    p[8], p[11] = (925, 550), (995, 550)    # hips
    p[9], p[12] = (925, 700), (995, 700)    # knees
    p[10], p[13] = (925, 850), (995, 850)   # ankles
    p[14], p[15] = (950, 330), (970, 330)   # eyes
    p[16], p[17] = (940, 335), (980, 335)   # ears
    return p


def sway(T: int, fps: float, rate_hz: float = 0.5, amp: float = 40.0, phase: float = 0.0) -> np.ndarray:
    """Slow side-to-side sway: the whole upper body shifts horizontally, feet planted. (T, 18, 2)."""
    t = np.arange(T) / fps
    kp = np.repeat(base_pose()[None], T, axis=0)
    dx = amp * np.sin(2 * np.pi * rate_hz * t + phase)
    upper = [0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17]
    kp[:, upper, 0] += dx[:, None]
    kp[:, [8, 11], 0] += 0.5 * dx[:, None]
    kp[:, [9, 12], 0] += 0.25 * dx[:, None]
    kp[:, [4, 7], 1] -= 0.3 * amp * np.abs(np.sin(2 * np.pi * rate_hz * t + phase))[:, None]
    return kp


def bounce(T: int, fps: float, rate_hz: float = 2.5, amp: float = 30.0, phase: float = 0.0) -> np.ndarray:
    """Fast vertical bounce: the body drops by bending the knees and pumps the arms. (T, 18, 2)."""
    t = np.arange(T) / fps
    kp = np.repeat(base_pose()[None], T, axis=0)
    dy = amp * 0.5 * (1 - np.cos(2 * np.pi * rate_hz * t + phase))   # 0..amp, down
    body = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 14, 15, 16, 17]
    kp[:, body, 1] += dy[:, None]
    kp[:, [9, 12], 1] += 0.5 * dy[:, None]
    kp[:, 9, 0] -= 0.5 * dy            # knees bend outwards
    kp[:, 12, 0] += 0.5 * dy
    kp[:, [4, 7], 1] -= 2.0 * dy[:, None]   # arms pump up as the body drops
    return kp
