"""cldscan: cloud posture scanner for the ISO/IEC 27017 cloud controls."""

__version__ = "0.1.0"
