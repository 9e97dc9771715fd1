"""JiraiBench prompts: one table of instruction words per instruction language (zh, ja, en).

Every content language (zh, ja) is asked in every instruction language, so the instruction
language is an axis of its own (the paper reports that Japanese instructions did better than
Chinese ones on Chinese posts). The model answers with three lines, one per category, in the
instruction language: "<category name>: <0, 1 or 2>".

The instructions are ours (the paper's prompts are not public). The zh and ja wording has not
been checked by a native speaker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xbench.spec import Item

# The three categories, in the order of the output lines and of `Item.fields["labels"]`.
CATEGORIES = ("overdose", "eating_disorder", "self_harm")
LABELS = (0, 1, 2)  # 0 not concerning, 1 first person, 2 third party


@dataclass(frozen=True)
class Words:
    """Everything language-specific in a JiraiBench prompt."""

    short: str  # ISO 639-1 of the instruction language
    names: Mapping[str, str]  # category -> its name on the output line
    colon: str  # the colon written after a category name ("：" in zh and ja)
    instruction: str  # the task, the label meanings and the output format
    post_prefix: str  # the line before the post
    answer_prefix: str  # the line the prompt ends on


def _format_lines(names: Mapping[str, str], colon: str, placeholder: str) -> str:
    return "\n".join(f"{names[category]}{colon}{placeholder}" for category in CATEGORIES)


_EN_NAMES = {"overdose": "overdose", "eating_disorder": "eating disorder", "self_harm": "self-harm"}
_ZH_NAMES = {"overdose": "药物过量", "eating_disorder": "进食障碍", "self_harm": "自伤"}
_JA_NAMES = {"overdose": "オーバードーズ", "eating_disorder": "摂食障害", "self_harm": "自傷"}

PROMPT_LANGUAGES: dict[str, Words] = {
    "zh": Words(
        short="zh",
        names=_ZH_NAMES,
        colon="：",
        instruction=(
            "阅读下面的社交媒体帖子，并就三类自我毁灭行为进行标注：药物过量、进食障碍和自伤。\n"
            "每一类请回答 0、1 或 2：\n"
            "0 = 没有令人担忧的内容\n"
            "1 = 发帖者描述自己的行为（第一人称）\n"
            "2 = 帖子描述他人的行为（第三方）\n"
            "请只用以下三行作答，不要添加其他内容：\n"
            + _format_lines(_ZH_NAMES, "：", "<0、1 或 2>")
        ),
        post_prefix="帖子：",
        answer_prefix="标注：",
    ),
    "ja": Words(
        short="ja",
        names=_JA_NAMES,
        colon="：",
        instruction=(
            "次のSNS投稿を読み、3種類の自己破壊的行動（オーバードーズ、摂食障害、自傷）について"
            "ラベルを付けてください。\n"
            "各カテゴリーについて 0、1、2 のいずれかで答えてください：\n"
            "0 = 懸念される内容なし\n"
            "1 = 投稿者自身の行動（一人称）\n"
            "2 = 他者の行動（第三者）\n"
            "次の3行だけで答え、ほかには何も書かないでください：\n"
            + _format_lines(_JA_NAMES, "：", "<0、1、2 のいずれか>")
        ),
        post_prefix="投稿：",
        answer_prefix="ラベル：",
    ),
    "en": Words(
        short="en",
        names=_EN_NAMES,
        colon=": ",
        instruction=(
            "Read the following social-media post and label it for three kinds of"
            " self-destructive behaviour: drug overdose, eating disorder and self-harm.\n"
            "For each category answer 0, 1 or 2:\n"
            "0 = no concerning content\n"
            "1 = the writer describes their own behaviour (first person)\n"
            "2 = the post describes someone else's behaviour (third party)\n"
            "Answer with exactly these three lines and nothing else:\n"
            + _format_lines(_EN_NAMES, ": ", "<0, 1 or 2>")
        ),
        post_prefix="Post:",
        answer_prefix="Labels:",
    ),
}


def render_prompt(item: Item, num_fewshot: int, *, words: Words) -> str:
    """Instruction, the post, and the answer prefix; zero-shot only (no exemplars are public)."""
    if num_fewshot != 0:
        raise ValueError(f"JiraiBench has no few-shot exemplars; got num_fewshot={num_fewshot}")
    return f"{words.instruction}\n\n{words.post_prefix}\n{item.question}\n\n{words.answer_prefix}"


def format_labels(labels: Mapping[str, int], words: Words) -> str:
    """The three output lines for `labels`, as the prompt asks for them."""
    return "\n".join(
        f"{words.names[category]}{words.colon}{labels[category]}" for category in CATEGORIES
    )


def reference_response(item: Item, *, words: Words) -> str:
    """What a perfect model answers: the gold labels in the requested format."""
    return format_labels(item.fields["labels"], words)


def stop_sequences(words: Words) -> tuple[str, ...]:
    """Stop when a base model starts another post or another answer block."""
    return (f"\n{words.post_prefix}", f"\n{words.answer_prefix}")
