"""A tiny plugin marked sensitive, for the leaderboard's content-warning tests.

Its texts are invented and harmless; only the `sensitive` flag matters."""

from xbench import Item, Scored, TaskSpec


def register_tasks(register):
    for language, words in {"eng_Latn": ("calm", "tense"), "jpn_Jpan": ("穏やか", "緊張")}.items():

        def load(ctx, words=words):
            return [
                Item(str(i), f"Label the mood of: day {i} was {w}.", w) for i, w in enumerate(words)
            ]

        register(
            TaskSpec(
                benchmark="moodcheck", task="moodcheck", language=language, prompt_language=language,
                partition="original", version="1", source="written inline for xbench's tests",
                load=load, render=lambda item, k: item.question + "\nMood:",
                score=lambda response, item: Scored(response.strip(), float(response.strip() == item.gold)),
                until=("\n",), max_gen_toks=8, sensitive=True,
                reference_response=lambda item: f" {item.gold}",
            )
        )  # fmt: skip
