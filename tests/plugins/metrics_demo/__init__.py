"""A test plugin with several metrics: exact match per sample (the task's `metric`), token
overlap as a further per-sample metric, and a corpus metric (the primary one) with a signature.
Texts are written by xbench's authors."""

from xbench import CorpusScore, Item, Scored, TaskSpec

ROWS = {
    "eng_Latn": [("0", "Name a red fruit.", "red apple"), ("1", "Name a yellow fruit.", "banana")],
    "deu_Latn": [("0", "Nenne eine rote Frucht.", "roter Apfel"), ("1", "Nenne eine gelbe Frucht.", "Banane")],
}  # fmt: skip


def _overlap(response: str, gold: str) -> float:
    said, wanted = set(response.lower().split()), set(gold.lower().split())
    return len(said & wanted) / len(wanted)


def _corpus(answered, resamples):
    said = sum(len(a.response.split()) for a in answered)
    wanted = sum(len(a.item.gold.split()) for a in answered)
    return {"length_ratio": CorpusScore(value=said / wanted, signature="length_ratio|words|v1")}


def register_tasks(register):
    for language, rows in ROWS.items():
        register(
            TaskSpec(
                benchmark="fruits", task="fruits", language=language, prompt_language=language,
                partition="original", version="1", source="written inline for xbench's tests",
                load=lambda ctx, rows=rows: [Item(k, q, g) for k, q, g in rows],
                render=lambda item, k: item.question,
                score=lambda response, item: Scored(
                    response.strip(), float(response.strip().lower() == item.gold.lower()),
                    metrics={"overlap": _overlap(response, item.gold)},
                ),
                metric="exact_match", primary_metric="length_ratio", corpus_metrics=_corpus,
                reference_response=lambda item: item.gold,
            )
        )  # fmt: skip
