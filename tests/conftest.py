"""Shared test fixtures and the test tiers.

Tiers (DEVELOPERS.md, "Tests"): ``python -m pytest -q`` runs the fast tier, every test not marked
``slow``, ``realdata`` or ``browser``, plus the doctests of dancegen/ (about a minute on 2 cores);
``python -m pytest -q --all`` runs every tier (the README's command and .ci/run); an explicit
``-m EXPR`` picks its own selection. Real-data tests use ../shared (Dance with Melody, AIST++
fragment, sectoid songs); they are marked ``realdata`` and skip with a reason only when ../shared is
absent (it is present in CI). Browser tests skip with a reason only when the Debian chromium or
chromium-driver package is missing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")

# run by Blender's own Python (tests/test_export.py), not by pytest: it imports bpy
collect_ignore = ["blender_read_bvh.py"]

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DANCEGEN_SHARED", REPO.parent / "shared"))
DWM_DIR = SHARED / "data" / "dance_with_melody"
SECTOID_DIR = SHARED / "music" / "sectoid"
AIST_DIR = SHARED / "data" / "aist_plusplus_fragment"
VARIED_DIR = SHARED / "music" / "varied"
SECTOID_BPM = {"escape_from_chaosland": 135, "feelings": 95, "metal_madness": 150, "war_of_freedom": 140}

#: the selection of a plain ``pytest`` run (the inner loop)
FAST_TIER = "not slow and not realdata and not browser"


def pytest_addoption(parser):
    parser.addoption("--all", action="store_true", dest="all_tiers",
                     help="run every test tier: slow, realdata and browser tests too (CI and the README run this)")


def pytest_configure(config):
    if config.getoption("all_tiers"):
        if config.option.markexpr:
            raise pytest.UsageError("--all runs every tier; drop -m (or drop --all to select with -m)")
    elif not config.option.markexpr:
        config.option.markexpr = FAST_TIER


def pytest_report_header(config):
    if config.getoption("all_tiers"):
        return "dancegen tests: every tier (--all)"
    if config.option.markexpr == FAST_TIER:
        return f"dancegen tests: the fast tier (-m '{FAST_TIER}'); --all runs every tier"
    return f"dancegen tests: -m '{config.option.markexpr}'"


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
def varied_dir() -> Path:
    if not VARIED_DIR.exists():
        pytest.skip(f"real-data test: {VARIED_DIR} not present")
    return VARIED_DIR


@pytest.fixture(scope="session")
def aist_dir() -> Path:
    if not (AIST_DIR / "README.md").exists():
        pytest.skip(f"real-data test: {AIST_DIR} not present")
    return AIST_DIR
