"""Price-list files the partners tests read: the app's own samples and the optional shared set."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
# Real partner files kept next to the project; a fresh clone does not have them, and their tests skip.
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "partners"
SHARED_FILES = sorted(SHARED.glob("*.yaml")) if SHARED.is_dir() else []
NONSTANDARD_FILES = sorted((SHARED / "nonstandard").glob("*.yaml")) if SHARED.is_dir() else []
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/partners is not present")

# The small sample in two versions: 101 quantity 25 and 103 quantity 7, then 101 repriced, A-102 gone,
# 103 quantity 3 and 104 new.
SMALL = (DATA / "good" / "small.yaml").read_bytes()
SMALL_CHANGED = (DATA / "good" / "small_changed.yaml").read_bytes()
