"""Shared test fixtures. Real-data tests use ../shared (Dance with Melody, AIST++ fragment, sectoid songs); they are
marked ``realdata`` and skip with a reason only when ../shared is absent (it is present in CI)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DANCEGEN_SHARED", REPO.parent / "shared"))
DWM_DIR = SHARED / "data" / "dance_with_melody"
SECTOID_DIR = SHARED / "music" / "sectoid"
AIST_DIR = SHARED / "data" / "aist_plusplus_fragment"
SECTOID_BPM = {"escape_from_chaosland": 135, "feelings": 95, "metal_madness": 150, "war_of_freedom": 140}


@pytest.fixture(scope="session")
def dwm_dir() -> Path:
    if not (DWM_DIR / "README.md").exists():
        pytest.skip(f"real-data test: {DWM_DIR} not present")
    return DWM_DIR


@pytest.fixture(scope="session")
def sectoid_dir() -> Path:
    if not SECTOID_DIR.exists():
        pytest.skip(f"real-data test: {SECTOID_DIR} not present")
    return SECTOID_DIR


@pytest.fixture(scope="session")
def aist_dir() -> Path:
    if not (AIST_DIR / "README.md").exists():
        pytest.skip(f"real-data test: {AIST_DIR} not present")
    return AIST_DIR
