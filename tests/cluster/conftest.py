"""The cluster tests run the reliability probes' world (tests/reliability/reliability_harness.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
