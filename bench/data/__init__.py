"""Data sources, caches and subsets."""

from .registry import SOURCES, load_data
from .types import DataBundle, ImageArrays

__all__ = ["SOURCES", "DataBundle", "ImageArrays", "load_data"]
