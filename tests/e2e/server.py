"""The harness moto server plus the scenario patches (``fixtures.aws.moto_patches``).

Run as ``python -m tests.e2e.server --port 0``; same control routes as the harness.
"""

from __future__ import annotations

from fixtures.aws import moto_patches
from tests.harness import moto_server

if __name__ == "__main__":
    moto_patches.apply()
    moto_server.main()
