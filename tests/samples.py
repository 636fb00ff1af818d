"""Where the real PBX logs are: ../shared/samples beside the repository, never copied into it."""

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"

needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"the real PBX logs are not here ({SAMPLES}); they are read from ../shared/samples",
)
