"""Rendering and export: :mod:`.draw` (OpenPose-18 skeleton on an image), :mod:`.video` (mp4 with
the music, contact sheets), :mod:`.commands` (``dancegen render``). Kept import-light: import the
submodules directly."""
