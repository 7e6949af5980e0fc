"""Typed errors. Every error a user can cause is a :class:`DanceGenError` whose message names the
file or value at fault and says what to do; the CLI prints it in one line and exits non-zero."""


class DanceGenError(Exception):
    """Base class of every error dancegen raises on purpose."""

    exit_code = 2


class AudioError(DanceGenError):
    """A music file is missing, empty, corrupt, truncated, or cannot be decoded."""


class DataError(DanceGenError):
    """A dance data file or folder is missing or malformed."""


class PoseError(DanceGenError):
    """Pose estimation input (video, images) cannot be read."""


class ModelError(DanceGenError):
    """A model checkpoint is missing, corrupt or incompatible."""


class ConfigError(DanceGenError):
    """An option or configuration value is out of range."""


class OutputError(DanceGenError):
    """An output cannot be written: it exists (without ``--force``), is a symbolic link, its folder
    is not writable or cannot be created, or another dancegen run is writing it."""
