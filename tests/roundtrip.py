"""Round-trip helpers: compare every field of two dataclass instances (numpy arrays by value and
dtype), so a field added later is compared without touching the tests."""
from __future__ import annotations

from dataclasses import fields

import numpy as np


def assert_same_fields(a, b, cls=None, skip=()):
    """Every :func:`dataclasses.fields` of ``cls`` (default: ``type(a)``) equal on ``a`` and ``b``."""
    names = [f.name for f in fields(cls or type(a)) if f.name not in skip]
    assert names, "no dataclass fields to compare"
    for n in names:
        x, y = getattr(a, n), getattr(b, n)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray), n
            assert x.dtype == y.dtype and x.shape == y.shape, (n, x.dtype, y.dtype, x.shape, y.shape)
            np.testing.assert_array_equal(x, y, err_msg=n)
        else:
            assert type(x) is type(y) and x == y, (n, x, y)
    return names
