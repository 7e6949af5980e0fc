"""dancegen: music in, dance out.

Seq2Seq (Bi-LSTM encoder, attention, LSTM decoder) dance generation with human-pose structural
feedback (HGR), after "Music-Driven Enhanced Dance Performance Generation by Integrating Seq2Seq and
Human Pose Recognition" (HighTech and Innovation Journal, 2026).
"""
from .dance import Dance
from .errors import DanceGenError

__version__ = "0.1.0"


def generate(music, **kwargs):
    """Generate a dance for a music file with the bundled model; see :func:`dancegen.generate_api.generate`."""
    from .generate_api import generate as _generate

    return _generate(music, **kwargs)


# ``dancegen.export`` is the export package, and calling it exports:
# ``dancegen.export(dance_or_path, "bvh", "out.bvh", force=False)`` (see dancegen.export.export).
from . import export  # noqa: E402  (light: the writers import numpy/scipy when called)

__all__ = ["Dance", "DanceGenError", "export", "generate", "__version__"]
