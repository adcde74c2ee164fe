"""``python -m bench.cli``: same as the prs-bench console script."""

import sys

from . import main

sys.exit(main())
