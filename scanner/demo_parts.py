"""Which fake clouds ``cldscan demo`` scans, and where each one's demo lives.

Each entry names a context manager ``module:function`` that starts the provider's local
fake, points its SDK at it through the environment and yields a collector for it. The
modules are imported only when the demo runs.
"""

from __future__ import annotations

DEMO_PARTS: dict[str, str] = {
    "aws": "scanner.demo:aws_demo",
    "azure": "fixtures.azure.demo:azure_demo",
    "gcp": "fixtures.gcp.demo:gcp_demo",
}
DEMO_PROVIDERS: tuple[str, ...] = tuple(DEMO_PARTS)
