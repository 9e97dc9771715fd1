"""xbench: how a language model does in every language, not its English average.

Public API:  xbench.run(...), xbench.runs(), results(), tasks(), export(), report() -> Report,
compare() -> Comparison (typed records), and for plugins
xbench.TaskSpec / Item / Scored / LoadContext (tasks) and xbench.ModelKind / ModelSpec /
BuildContext (model kinds).
Importing xbench is cheap: torch, transformers and lm_eval load only when a run needs them.
"""

from __future__ import annotations

from .models.base import BuildContext, ModelKind, ModelSpec
from .spec import Answered, CorpusScore, DataError, Item, LoadContext, Metric, Scored, TaskSpec

__version__ = "0.1.0"
__all__ = [
    "Answered", "BuildContext", "CorpusScore", "DataError", "Item", "LoadContext", "Metric", "ModelKind", "ModelSpec",
    "Scored", "TaskSpec", "compare", "export", "report", "results", "run", "runs", "tasks",
    "__version__",
]  # fmt: skip


from .api import export, results, runs, tasks  # noqa: E402
from .compare import compare  # noqa: E402
from .report import report  # noqa: E402
from .runner import run  # noqa: E402  (after __version__, which runner records)
