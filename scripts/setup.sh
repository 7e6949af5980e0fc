#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: a virtual environment in .venv with dancegen installed.
# torch is pinned to 2.13.0 (the local CPU wheel) and installed in the same pip command as the
# package, so no resolver step can pull a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import dancegen, torch, mediapipe, fastapi, uvicorn, multipart, selenium, bvhio, importlinter" >/dev/null 2>&1 || [ "${DANCEGEN_REINSTALL:-0}" = 1 ]; then
  .venv/bin/pip install --quiet torch==2.13.0 -e ".[dev]"
  # mediapipe 0.10.21 is the last wheel that ships its pose models; its declared deps are not needed.
  .venv/bin/pip install --quiet --no-deps mediapipe==0.10.21
fi
# The browser tests (tests/test_player.py, tests/test_app.py) drive Debian's chromium through its
# chromedriver; they skip with a reason when these are missing and apt-get is not usable here.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
      >/dev/null || echo "setup.sh: could not install chromium chromium-driver; browser tests will skip" >&2
  else
    echo "setup.sh: no chromium/chromedriver (Debian: apt-get install chromium chromium-driver); browser tests will skip" >&2
  fi
fi
# Blender (Debian's 'blender', 3.4 on bookworm) for the BVH import test (tests/test_export.py);
# optional: ~30 s with apt as root, skipped elsewhere or with DANCEGEN_NO_BLENDER=1 (the test then
# skips and says so).
if [ "${DANCEGEN_NO_BLENDER:-0}" != 1 ] && ! command -v blender >/dev/null 2>&1 \
   && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends blender >/dev/null \
    || echo "setup.sh: warning: could not install blender; the Blender BVH test will skip" >&2
fi
