"""MT prompts (one for chat models, one for base models) and reading the translation back.

Instructions are in English for every direction (`prompt_language` = eng_Latn); only the
language names change. The translation is the first non-empty line of the response, with a
chat preamble ("Here is the translation:", "Sure! Here's the German translation:", a lone
"Sure!") and an echoed label ("German:", "**Translation:**", "German translation:") stripped;
what was stripped is recorded with the sample (`Scored.note`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xbench.spec import Item

from .languages import name


@dataclass(frozen=True)
class Style:
    key: str  # part of the task name: "chat" | "base"
    description: str


CHAT = Style("chat", "an instruction that asks for the translation only (for chat models)")
BASE = Style("base", "a completion frame '<Source>: text / <Target>:' (for base models)")
STYLES = (CHAT, BASE)


def render(item: Item, num_fewshot: int, *, style: Style, source: str, target: str) -> str:
    """The full prompt: zero-shot only (`max_fewshot` is 0)."""
    del num_fewshot  # the runner refuses num_fewshot > max_fewshot = 0
    if style is CHAT:
        return (
            f"Translate the following {name(source)} text into {name(target)}. "
            f"Reply with the {name(target)} translation only, on a single line.\n\n{item.question}"
        )
    return f"{name(source)}: {item.question}\n{name(target)}:"


def stop_sequences(style: Style, source: str, target: str) -> tuple[str, ...]:
    """Base models go on with a new "<Source>:" pair; chat answers run to their end (only the
    first line is read)."""
    if style is CHAT:
        return ()
    return (f"\n{name(source)}:", f"\n{name(target)}:", "\n\n")


def reference_response(item: Item, *, style: Style) -> str:
    """What a perfect model answers: the reference (after the base prompt's "Target:", with
    the space a model writes there)."""
    return item.gold if style is CHAT else f" {item.gold}"


def _label_pattern(target: str) -> re.Pattern[str]:
    # "Chinese (Simplified)" is often echoed as "Chinese:".
    full = name(target)
    short = re.sub(r"\s*\(.*\)$", "", full)
    target_name = "|".join(dict.fromkeys(re.escape(n) for n in (full, short)))
    target_name = f"(?:{target_name})"
    labels = (
        rf"{target_name}(?:\s+translation)?",
        rf"translation(?:\s+(?:in|into|to)\s+{target_name})?",
        rf"translation\s*\({target_name}\)",
        r"translated text",
    )
    # Optional markdown around the label: "**German:**", "**German**:", "### Translation:".
    return re.compile(
        rf"^\s*(?:#+\s*|[*_]+)?(?:{'|'.join(labels)})\s*(?:[*_]+\s*)?[:：]\s*(?:[*_]+\s*)?",
        re.IGNORECASE,
    )


_LABELS: dict[str, re.Pattern[str]] = {}

# Chat preambles before the translation (bounded repetitions: linear in the line's length).
_ASSENT = r"(?:sure|certainly|of course|okay|ok|absolutely|alright|here you go|no problem)"
_PREAMBLE = re.compile(
    rf"^\s*(?:[*_#]+\s*)?(?:{_ASSENT}\b[!.,]?\s*)?"
    r"(?:here(?:'s|’s| is| are)|below is|this is|the following is)\s+"
    r"(?:[\w()’'\-]{1,30}\s+){0,6}?(?:translation|translated text|translated version|version)"
    r"\b[^:：\n]{0,80}[:：]\s*(?:[*_]+\s*)?",
    re.IGNORECASE,
)
# "**Das Haus ist rot.**": emphasis around the whole translation.
_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+)\1$")
_LONE_ASSENT = re.compile(rf"^\s*{_ASSENT}\s*[!.,]*\s*$", re.IGNORECASE)


def read_translation(response: str, target: str) -> tuple[str, str | None]:
    """(the translation, what was stripped before it or None). The translation is the first
    non-empty line of `response` without a chat preamble or an echoed label; a line that is
    only a preamble or a label ("German:" and the text on the next line) gives way to the next."""
    pattern = _LABELS.get(target)
    if pattern is None:
        pattern = _LABELS[target] = _label_pattern(target)
    stripped: list[str] = []
    for line in response.splitlines():
        if _LONE_ASSENT.match(line):
            stripped.append(line.strip())
            continue
        text = line
        if preamble := _PREAMBLE.match(text):
            stripped.append(preamble.group().strip())
            text = text[preamble.end() :]
        if label := pattern.match(text):
            if label.group().strip():
                stripped.append(label.group().strip())
            text = text[label.end() :]
        text = _EMPHASIS.sub(r"\2", text.strip())
        if text:
            return text, " ".join(stripped) or None
    return "", " ".join(stripped) or None


def extract_translation(response: str, target: str) -> str:
    """The translation in `response` (see `read_translation`)."""
    return read_translation(response, target)[0]
