"""Optional MT metrics that need a model or a file from the internet: spBLEU and COMET.

Asked for with `--task-arg mt.extra_metrics=spBLEU,COMET` (COMET also with
`--task-arg mt.comet_model=PATH`). Each is checked when its units load, before any model runs:
when what it needs is not on this machine, the run stops with a one-line error that says what
is missing. A metric that cannot be computed never gets a number.

- spBLEU: BLEU on sacrebleu's FLORES-200 SentencePiece tokenization (`--tokenize flores200`).
  Needs the `sentencepiece` package and the tokenizer model in sacrebleu's model folder
  (sacrebleu downloads it on first use with internet; copy it there for offline machines).
- COMET: `unbabel-comet` installed and a local checkpoint given as `mt.comet_model` (a path to
  `checkpoints/model.ckpt` of e.g. Unbabel/wmt22-comet-da, downloaded beforehand).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xbench.spec import CorpusScore, DataError, Item

OPTION = "mt.extra_metrics"
COMET_OPTION = "mt.comet_model"


@dataclass(frozen=True)
class Extra:
    """The optional metrics asked for, and what they need."""

    names: tuple[str, ...] = ()
    comet_model: str | None = None

    @classmethod
    def parse(cls, names: str | None, comet_model: str | None = None) -> Extra:
        """Unknown names are an error naming the known ones."""
        wanted = tuple(n.strip() for n in (names or "").split(",") if n.strip())
        unknown = [n for n in wanted if n not in METRICS]
        if unknown:
            raise DataError(
                f"--task-arg {OPTION}: unknown metric(s) {', '.join(unknown)}; known: "
                f"{', '.join(METRICS)}"
            )
        return cls(wanted, comet_model or None)

    def check(self) -> None:
        """Raise DataError for the first requested metric that cannot run on this machine."""
        for name in self.names:
            METRICS[name][0](self)

    def compute(self, items: Sequence[Item], hypotheses: Sequence[str]) -> dict[str, CorpusScore]:
        """The requested metrics; `check()` has already run when the units loaded."""
        return {name: METRICS[name][1](self, items, hypotheses) for name in self.names}


def spbleu_model_path() -> Path:
    from sacrebleu.tokenizers.tokenizer_spm import SPM_MODELS
    from sacrebleu.utils import SACREBLEU_DIR

    return Path(SACREBLEU_DIR) / "models" / os.path.basename(SPM_MODELS["flores200"]["url"])


def _check_spbleu(extra: Extra) -> None:
    if importlib.util.find_spec("sentencepiece") is None:
        raise DataError("spBLEU needs the sentencepiece package: pip install sentencepiece")
    if not spbleu_model_path().exists():
        raise DataError(
            f"spBLEU needs sacrebleu's FLORES-200 SentencePiece model at {spbleu_model_path()}, "
            f"which is downloaded from the internet; put it there or drop spBLEU from {OPTION}"
        )


def _check_comet(extra: Extra) -> None:
    if importlib.util.find_spec("comet") is None:
        raise DataError(
            f"COMET needs the unbabel-comet package: pip install unbabel-comet (or drop COMET from {OPTION})"
        )
    checkpoint = extra.comet_model
    if not checkpoint or not Path(checkpoint).is_file():
        raise DataError(
            f"COMET needs a local checkpoint: --task-arg {COMET_OPTION}=.../wmt22-comet-da/"
            f"checkpoints/model.ckpt (downloaded beforehand); got {checkpoint or 'nothing'}"
        )


def _spbleu(extra: Extra, items: Sequence[Item], hypotheses: Sequence[str]) -> CorpusScore:
    from sacrebleu.metrics import BLEU

    metric = BLEU(tokenize="flores200")
    score = metric.corpus_score(list(hypotheses), [[item.gold.strip() for item in items]])
    return CorpusScore(value=float(score.score), signature=metric.get_signature().format())


def _comet(extra: Extra, items: Sequence[Item], hypotheses: Sequence[str]) -> CorpusScore:
    from comet import load_from_checkpoint

    model = load_from_checkpoint(extra.comet_model)
    data = [
        {"src": item.question, "mt": hyp, "ref": item.gold}
        for item, hyp in zip(items, hypotheses, strict=True)
    ]
    output = model.predict(data, batch_size=16, gpus=0, progress_bar=False)
    return CorpusScore(
        value=float(output.system_score) * 100, signature=f"COMET|model:{extra.comet_model}"
    )


METRICS: Mapping[str, tuple[Callable[[Extra], None], Callable[..., CorpusScore]]] = {
    "spBLEU": (_check_spbleu, _spbleu),
    "COMET": (_check_comet, _comet),
}
