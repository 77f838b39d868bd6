"""The stream facades live in :mod:`bloop.drivers.stream`; this name still works."""
from ..drivers.stream import Stream, check_model

__all__ = ["Stream", "check_model"]
