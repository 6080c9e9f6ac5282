"""``python -m searchsvc.evaluate``: ``searchsvc evaluate`` on the 2017 corpus and its judged set by default.

Kept as a thin alias; the code is in searchsvc/evaluation/.
"""

from __future__ import annotations

import sys

from .evaluation.command import main

if __name__ == "__main__":
    sys.exit(main())
