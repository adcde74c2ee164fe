"""Where the project's data folders are found, one rule for all of them."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# A wheel carries copies of the checkout's suites/ and baselines/ here (setup.py puts them in at build
# time); in a checkout or an editable install the folder is absent and the checkout's own are used.
SHIPPED = PACKAGE / "_shipped"


def default_dir(env_var: str, name: str) -> Path:
    """``$ENV_VAR``, else ./NAME when it exists, else the NAME/ shipped in the wheel or beside the checkout."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    here = Path(name)
    if here.is_dir():
        return here
    shipped = SHIPPED / name
    if shipped.is_dir():
        return shipped
    return PACKAGE.parent / name
