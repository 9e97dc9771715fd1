"""An external xbench plugin: capital cities, written by xbench's authors for its tests.

It uses nothing but the public plugin API (`xbench.TaskSpec`, `Item`, `Scored`)."""

from xbench import Item, Scored, TaskSpec

# (country, capital) per language; item_key = the country's ISO code, the same in every language.
DATA = {
    "eng_Latn": ("What is the capital of {}?", "Answer:", [
        ("fr", "France", "Paris"), ("jp", "Japan", "Tokyo"), ("ke", "Kenya", "Nairobi"),
    ]),
    "deu_Latn": ("Was ist die Hauptstadt von {}?", "Antwort:", [
        ("fr", "Frankreich", "Paris"), ("jp", "Japan", "Tokio"), ("ke", "Kenia", "Nairobi"),
    ]),
    "spa_Latn": ("¿Cuál es la capital de {}?", "Respuesta:", [
        ("fr", "Francia", "París"), ("jp", "Japón", "Tokio"), ("ke", "Kenia", "Nairobi"),
    ]),
}  # fmt: skip


def register_tasks(register):
    for language, (template, answer_word, rows) in DATA.items():

        def load(ctx, rows=rows, template=template):
            return [Item(key, template.format(country), capital) for key, country, capital in rows]

        def render(item, num_fewshot, answer_word=answer_word):
            return f"{item.question}\n{answer_word}"

        def score(response, item):
            guess = response.strip().split("\n")[0].strip(" .")
            return Scored(extracted=guess, score=float(guess.casefold() == item.gold.casefold()))

        register(
            TaskSpec(
                benchmark="capitals", task="capitals", language=language,
                prompt_language=language,
                partition="original" if language == "eng_Latn" else "human_translated",
                version="1", source="built into the xbench-capitals test plugin",
                load=load, render=render, score=score, until=("\n",), max_gen_toks=8,
                reference_response=lambda item: f" {item.gold}",
            )
        )  # fmt: skip
