"""Validators used by the portal's scheming schemas."""
from __future__ import annotations
