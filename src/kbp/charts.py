"""Where the journal chart is: a source checkout's charts/journal, or the copy a wheel carries.

The chart's files/ are the one copy of the Redis launch script, redis.conf and the fileserver's
NGINX locations: `kbp local up` runs them and `kbp deploy` ships them.
"""

from __future__ import annotations

import os
from pathlib import Path

CHART_ENV = "KBP_JOURNAL_CHART"


class ChartNotFoundError(Exception):
    """Neither $KBP_JOURNAL_CHART, a source checkout nor the installed package holds the chart."""


def journal_chart() -> Path:
    """The chart directory (the one holding Chart.yaml)."""
    here = Path(__file__).resolve().parent
    candidates = [
        *([Path(os.environ[CHART_ENV])] if os.environ.get(CHART_ENV) else []),
        here.parents[1] / "charts" / "journal",  # src/kbp -> <checkout>/charts/journal
        here / "_charts" / "journal",  # a wheel: see [tool.hatch...force-include] in pyproject.toml
    ]
    for candidate in candidates:
        if (candidate / "Chart.yaml").is_file():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise ChartNotFoundError(f"the journal chart is not in any of: {tried} (set {CHART_ENV})")


def chart_files() -> Path:
    return journal_chart() / "files"
