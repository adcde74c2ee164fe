"""Fourier analysis of feature maps (docs/METHOD.md section 5): claims C3 and C4."""

from .capture import (
    CAPTURE_RULES,
    Captured,
    FeatureCapture,
    NoCaptureRule,
    Site,
    capture_features,
    capture_rule,
    capture_sites,
)
from .fourier import frequencies, relative_log_amplitude
from .summary import BlockProfile, fourier_profile, fourier_summary, summarize

__all__ = [
    "CAPTURE_RULES",
    "BlockProfile",
    "Captured",
    "FeatureCapture",
    "NoCaptureRule",
    "Site",
    "capture_features",
    "capture_rule",
    "capture_sites",
    "fourier_profile",
    "fourier_summary",
    "frequencies",
    "relative_log_amplitude",
    "summarize",
]
