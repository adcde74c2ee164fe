"""Hugging Face hub access through ``datasets``: one place that turns hub failures into one-line errors.

``datasets`` itself honours HF_HOME, HF_DATASETS_CACHE, HF_HUB_OFFLINE / HF_DATASETS_OFFLINE and
HF_TOKEN; nothing here overrides them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..errors import BenchError
from .cache import fingerprint_files

OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in OFFLINE_VARS)


def explain_hub_error(exc: BaseException, repo: str, gated: bool) -> str:
    """One line: what failed, and the exact step that fixes it."""
    text = f"{type(exc).__name__}: {exc}"
    first = text.splitlines()[0][:200]
    url = f"https://huggingface.co/datasets/{repo}"
    auth = any(s in text for s in ("401", "403", "gated", "Gated", "authenticat", "token"))
    if gated and (auth or "DatasetNotFound" in text or "doesn't exist" in text):
        return (
            f"hub dataset {repo} needs a Hugging Face token with access: accept its terms at {url}, "
            f"then run `huggingface-cli login` (or set HF_TOKEN) ({first})"
        )
    if _offline() or "Offline" in text:
        return (
            f"hub dataset {repo} is not in the local Hugging Face cache and offline mode is on "
            f"({'/'.join(OFFLINE_VARS)}); run once with network and those unset to fill the cache: "
            f"python -c \"import datasets; datasets.load_dataset('{repo}')\" ({first})"
        )
    if isinstance(exc, (ConnectionError, TimeoutError)) or "resolve" in text or "connect" in text.lower():
        return (
            f"could not reach the Hugging Face hub for {repo}; check the network (or proxy), or set "
            f"HF_HUB_OFFLINE=1 to use an already cached copy ({first})"
        )
    return f"loading hub dataset {repo} failed; see {url} ({first})"


def hub_load(
    repo: str,
    *,
    name: str | None = None,
    revision: str | None = None,
    split: str | None = None,
    streaming: bool = False,
    gated: bool = False,
) -> Any:
    """``datasets.load_dataset`` with failures as BenchError."""
    import datasets

    try:
        return datasets.load_dataset(repo, name, revision=revision, split=split, streaming=streaming)
    except Exception as exc:
        raise BenchError(explain_hub_error(exc, repo, gated)) from None


def hub_fingerprint(dsd: Any) -> str:
    """Identity of a loaded hub dataset: the content of its Arrow cache files, else datasets' fingerprint."""
    files = [Path(f["filename"]) for split in sorted(dsd) for f in dsd[split].cache_files]
    if files:
        return fingerprint_files(files, None)
    return hashlib.sha256(json.dumps({s: dsd[s]._fingerprint for s in sorted(dsd)}).encode()).hexdigest()
