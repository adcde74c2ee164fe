"""Baselines: numbers reported by public sources (with their citation) and this project's reference runs."""

from .reference import ReferenceSet, ReferenceStore, device_slug
from .reported import Reported, load_reported
from .store import Baselines, default_baselines_dir

__all__ = [
    "Baselines",
    "ReferenceSet",
    "ReferenceStore",
    "Reported",
    "default_baselines_dir",
    "device_slug",
    "load_reported",
]
