"""Built-in checks. Importing this package registers every one of them."""

from checks import (
    alerts,
    audit,
    compute,
    detection,
    disk,
    firewall,
    identity,
    image,
    network,
)

__all__ = [
    "alerts",
    "audit",
    "compute",
    "detection",
    "disk",
    "firewall",
    "identity",
    "image",
    "network",
]
