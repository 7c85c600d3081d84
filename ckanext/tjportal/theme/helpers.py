"""Template helpers of the portal theme; every name starts with ``tjportal_``."""
from __future__ import annotations
