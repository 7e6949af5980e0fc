"""Loss terms the trainers share, in plain torch (no Lightning, so the 3D trainers can use them
without importing it): the motion terms of the training objective and the GAN hinge losses."""
from __future__ import annotations

import torch
from torch.nn import functional as Fn


def motion_terms(jp: torch.Tensor, jt: torch.Tensor) -> dict:
    """Predicted vs target points ``(B, T, N, C)`` (2D: decoded joints in body units; 3D comparison
    models: the graph view of the standardised pose vectors): ``pos`` (L1), ``vel`` and ``acc`` (L1
    of the first and second differences, x5 and x10) and ``energy``."""
    out = {"pos": (jp - jt).abs().mean()}
    vp, vt = jp[:, 1:] - jp[:, :-1], jt[:, 1:] - jt[:, :-1]
    out["vel"] = (vp - vt).abs().mean() * 5.0
    ap, at = vp[:, 1:] - vp[:, :-1], vt[:, 1:] - vt[:, :-1]
    out["acc"] = (ap - at).abs().mean() * 10.0
    # motion energy: per sample and joint, the log-ratio of mean speeds. It asks the model to move
    # as much as the dancer did without asking it to be in phase, which is what keeps a
    # free-running decoder from settling into the damped mean motion that per-frame losses favour.
    sp = vp.norm(dim=-1).mean(dim=1)
    st = vt.norm(dim=-1).mean(dim=1)
    ap_m = ap.norm(dim=-1).mean(dim=1)
    at_m = at.norm(dim=-1).mean(dim=1)
    # the same for acceleration: accents (stops and starts) as strong as the dancer's
    out["energy"] = (torch.log(sp + 5e-3) - torch.log(st + 5e-3)).abs().mean() + \
        (torch.log(ap_m + 2e-3) - torch.log(at_m + 2e-3)).abs().mean()
    return out


def hinge_d_loss(d_real: torch.Tensor, d_fakes: list[torch.Tensor], weights: list[float]) -> torch.Tensor:
    """Discriminator hinge loss ``mean(relu(1 - D(real))) + sum_i w_i mean(relu(1 + D(fake_i)))``;
    ``weights`` are normalised to sum to 1."""
    tot = float(sum(weights))
    return Fn.relu(1 - d_real).mean() + sum(w / tot * Fn.relu(1 + f).mean() for w, f in zip(weights, d_fakes))


def hinge_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Generator hinge loss ``-mean(D(fake))``."""
    return -d_fake.mean()
