"""MGSM prompts: the per-language words (one table) and the three prompt modes.

Zero-shot prompts follow openai/simple-evals `mgsm_eval.py` (instruction, blank line, question).
Few-shot prompts follow the paper (Shi et al. 2022) and lm-eval's `mgsm_*` tasks: the first k
url-nlp exemplars of the prompt language, then the question with the localized prefixes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xbench.phrases import phrases
from xbench.spec import Item, LoadContext

MAX_FEWSHOT = 8  # the paper's exemplars: 8 per language


@dataclass(frozen=True)
class Words:
    """Everything language-specific that MGSM prompts and answer parsing use."""

    short: str  # ISO 639-1, the url-nlp / hub config name
    question_prefix: str  # exemplar question prefix, with its trailing space if any
    cot_answer_prefix: str  # exemplar "Step-by-Step Answer:" prefix
    answer_prefix: str  # "<answer word>:" as written in this language (direct mode)
    cot_instruction: str  # simple-evals' zero-shot instruction (quirks fixed, see below)
    direct_instruction: str  # ours: asks for the final integer only

    @property
    def answer_word(self) -> str:
        """simple-evals' answer prefix: the answer parser looks for it (xbench.phrases)."""
        word = phrases(self.short).answer
        assert word is not None, self.short
        return word

    @property
    def answer_phrases(self) -> tuple[str, ...]:
        """The "The answer is N" lead-ins the parser accepts (xbench.phrases)."""
        return phrases(self.short).answer_markers


# The CoT instructions are simple-evals' LANG_TO_INSTRUCTIONS with these fixes:
#   ja: the leading "こ" was missing ("の数学の問題…" -> "この数学の問題…").
#   zh: mixed "答案: " and "答案：" -> "答案：" in both places (full-width, as the exemplars).
#   bn: the stray "." after the final "।" is dropped.
#   th: the doubled "ให้ให้" ("give give") -> "ให้".
#   te: spelling fixes (ఇవ్వదానికి -> ఇవ్వడానికి, అదుగులను -> అడుగులను, సమాధానాద్ని ->
#       సమాధానాన్ని, ఎదేనా -> ఏదైనా) and the missing sentence break before the second
#       'సమాధానం:', which is now quoted like the first.
# The direct instructions are ours, built from the CoT instruction's own phrases. Those for
# bn, sw, te and th have not been checked by a native speaker (the others by fluent readers
# only); the answer word they ask for is the one the parser looks for in every language.
# Question / answer prefixes and phrases are copied from the url-nlp exemplars; a test checks
# them against mgsm_exemplars.json.
LANGUAGES: dict[str, Words] = {
    w.short: w
    for w in (
        Words(
            short="bn",
            question_prefix="প্রশ্ন: ",
            cot_answer_prefix="ধাপে ধাপে উত্তর: ",
            answer_prefix="উত্তর: ",
            cot_instruction=(
                "এই গণিতের সমস্যাটি সমাধান করুন। চূড়ান্ত উত্তর দেওয়ার আগে যুক্তিসম্পন্ন পদক্ষেপ"
                ' প্রদান করুন। চূড়ান্ত উত্তরটি একক সংখ্যা হিসাবে "উত্তর:" এর পরে শেষ লাইনে দিন।'
                ' "উত্তর:" এর পরে অন্য কিছু যুক্ত করবেন না।'
            ),
            direct_instruction=(
                "এই গণিতের সমস্যাটি সমাধান করুন। যুক্তিসম্পন্ন পদক্ষেপ ছাড়াই শুধুমাত্র চূড়ান্ত"
                ' উত্তরটি একক সংখ্যা হিসাবে "উত্তর:" এর পরে এক লাইনে দিন। "উত্তর:" এর পরে অন্য'
                " কিছু যুক্ত করবেন না।"
            ),
        ),
        Words(
            short="de",
            question_prefix="Frage: ",
            cot_answer_prefix="Schritt-für-Schritt-Antwort: ",
            answer_prefix="Antwort: ",
            cot_instruction=(
                "Löse dieses Mathematikproblem. Gib die Schritte zur Begründung an, bevor du die"
                ' endgültige Antwort in der letzten Zeile alleine im Format "Antwort:" gibst.'
                ' Füge nichts anderes als die ganzzahlige Antwort nach "Antwort:" hinzu.'
            ),
            direct_instruction=(
                "Löse dieses Mathematikproblem. Gib nur die endgültige Antwort ohne die Schritte"
                ' zur Begründung in einer einzigen Zeile im Format "Antwort:" an. Füge nichts'
                ' anderes als die ganzzahlige Antwort nach "Antwort:" hinzu.'
            ),
        ),
        Words(
            short="en",
            question_prefix="Question: ",
            cot_answer_prefix="Step-by-Step Answer: ",
            answer_prefix="Answer: ",
            cot_instruction=(
                "Solve this math problem. Give the reasoning steps before giving the final"
                ' answer on the last line by itself in the format of "Answer:". Do not add'
                ' anything other than the integer answer after "Answer:".'
            ),
            direct_instruction=(
                "Solve this math problem. Give only the final answer, without the reasoning"
                ' steps, on a single line in the format of "Answer:". Do not add anything'
                ' other than the integer answer after "Answer:".'
            ),
        ),
        Words(
            short="es",
            question_prefix="Pregunta: ",
            cot_answer_prefix="Respuesta paso a paso: ",
            answer_prefix="Respuesta: ",
            cot_instruction=(
                "Resuelve este problema matemático. Proporciona los pasos de razonamiento antes"
                " de dar la respuesta final en la última línea por sí misma en el formato de"
                ' "Respuesta:". No añadas nada más que la respuesta entera después de'
                ' "Respuesta:".'
            ),
            direct_instruction=(
                "Resuelve este problema matemático. Da solo la respuesta final, sin los pasos"
                ' de razonamiento, en una sola línea en el formato de "Respuesta:". No añadas'
                ' nada más que la respuesta entera después de "Respuesta:".'
            ),
        ),
        Words(
            short="fr",
            question_prefix="Question : ",
            cot_answer_prefix="Réponse étape par étape : ",
            answer_prefix="Réponse : ",
            cot_instruction=(
                "Résolvez ce problème de mathématiques. Donnez les étapes de raisonnement avant"
                " de fournir la réponse finale sur la dernière ligne elle-même dans le format de"
                ' "Réponse:". N\'ajoutez rien d\'autre que la réponse entière après "Réponse:".'
            ),
            direct_instruction=(
                "Résolvez ce problème de mathématiques. Donnez uniquement la réponse finale,"
                " sans les étapes de raisonnement, sur une seule ligne dans le format de"
                ' "Réponse:". N\'ajoutez rien d\'autre que la réponse entière après "Réponse:".'
            ),
        ),
        Words(
            short="ja",
            question_prefix="問題：",
            cot_answer_prefix="ステップごとの答え：",
            answer_prefix="答え：",
            cot_instruction=(
                "この数学の問題を解いてください。最終的な答えを出す前に、解答の推論過程を"
                '記述してください。そして最後の行には "答え:" の形式で答えを記述し、その後には'
                "整数の答え以外何も追加しないでください。"
            ),
            direct_instruction=(
                'この数学の問題を解いてください。解答の推論過程は記述せず、"答え：" の形式で'
                '最終的な答えだけを1行で記述してください。"答え：" の後には整数の答え以外何も'
                "追加しないでください。"
            ),
        ),
        Words(
            short="ru",
            question_prefix="Задача: ",
            cot_answer_prefix="Пошаговое решение: ",
            answer_prefix="Ответ: ",
            cot_instruction=(
                "Решите эту математическую задачу. Объясните шаги рассуждения перед тем, как"
                " дать окончательный ответ в последней строке сам по себе в формате"
                ' "Ответ:". Не добавляйте ничего, кроме целочисленного ответа после "Ответ:".'
            ),
            direct_instruction=(
                "Решите эту математическую задачу. Дайте только окончательный ответ, без шагов"
                ' рассуждения, в одной строке в формате "Ответ:". Не добавляйте ничего, кроме'
                ' целочисленного ответа после "Ответ:".'
            ),
        ),
        Words(
            short="sw",
            question_prefix="Swali: ",
            cot_answer_prefix="Jibu la Hatua kwa Hatua: ",
            answer_prefix="Jibu: ",
            cot_instruction=(
                "Suluhisha tatizo hili la hesabu. Toa hatua za mantiki kabla ya kutoa jibu la"
                ' mwisho kwenye mstari wa mwisho peke yake katika muundo wa "Jibu:". Usiongeze'
                ' chochote kingine isipokuwa jibu la integer baada ya "Jibu:".'
            ),
            direct_instruction=(
                "Suluhisha tatizo hili la hesabu. Toa jibu la mwisho pekee, bila hatua za"
                ' mantiki, kwenye mstari mmoja katika muundo wa "Jibu:". Usiongeze chochote'
                ' kingine isipokuwa jibu la integer baada ya "Jibu:".'
            ),
        ),
        Words(
            short="te",
            question_prefix="ప్రశ్న: ",
            cot_answer_prefix="దశలవారీగా సమాధానం: ",
            answer_prefix="సమాధానం: ",  # the exemplars end "సమాధానం N.": the answer word itself
            cot_instruction=(
                "ఈ గణిత సమస్యను పరిష్కరించండి. చివరి సమాధానాన్ని ఇవ్వడానికి ముందు తర్కాత్మక"
                " అడుగులను ఇవ్వండి. చివరి పంక్తిలో మాత్రమే 'సమాధానం:' అనే ఆకారంలో చివరి"
                " సమాధానాన్ని ఇవ్వండి. 'సమాధానం:' తర్వాత పూర్ణాంక సమాధానానికి తప్పించి ఏదైనా"
                " చేర్చవద్దు."
            ),
            direct_instruction=(
                "ఈ గణిత సమస్యను పరిష్కరించండి. తర్కాత్మక అడుగులు ఇవ్వకుండా, ఒకే పంక్తిలో"
                " 'సమాధానం:' అనే ఆకారంలో చివరి సమాధానాన్ని మాత్రమే ఇవ్వండి. 'సమాధానం:' తర్వాత"
                " పూర్ణాంక సమాధానానికి తప్పించి ఏదైనా చేర్చవద్దు."
            ),
        ),
        Words(
            short="th",
            question_prefix="โจทย์: ",
            cot_answer_prefix="คำตอบทีละขั้นตอน: ",
            answer_prefix="คำตอบ: ",
            cot_instruction=(
                "แก้ปัญหาคณิตศาสตร์นี้ ให้ขั้นตอนการใช้เหตุผลก่อนที่จะให้คำตอบสุดท้ายในบรรทัด"
                'สุดท้ายโดยอยู่ในรูปแบบ "คำตอบ:" ไม่ควรเพิ่มอะไรนอกจากคำตอบที่เป็นจำนวนเต็มหลังจาก'
                ' "คำตอบ:"'
            ),
            direct_instruction=(
                "แก้ปัญหาคณิตศาสตร์นี้ ให้เฉพาะคำตอบสุดท้ายโดยไม่ต้องแสดงขั้นตอนการใช้เหตุผล"
                ' ในบรรทัดเดียวในรูปแบบ "คำตอบ:" ไม่ควรเพิ่มอะไรนอกจากคำตอบที่เป็นจำนวนเต็มหลังจาก'
                ' "คำตอบ:"'
            ),
        ),
        Words(
            short="zh",
            question_prefix="问题：",
            cot_answer_prefix="逐步解答：",
            answer_prefix="答案：",
            cot_instruction=(
                "解决这个数学问题。在最后一行给出答案前，请提供推理步骤。最后一行应该以"
                ' "答案：" 的形式独立给出答案。在 "答案：" 后不要添加除整数答案之外的任何内容。'
            ),
            direct_instruction=(
                '解决这个数学问题。不要提供推理步骤，只在一行中以 "答案：" 的形式给出最终答案。'
                '在 "答案：" 后不要添加除整数答案之外的任何内容。'
            ),
        ),
    )
}
ENGLISH = LANGUAGES["en"]


@dataclass(frozen=True)
class Exemplar:
    """One few-shot exemplar, with its localized prefixes already in the text."""

    question: str  # "Question: Mia has 4 apples. …"
    answer: str  # "Step-by-Step Answer: … The answer is 7."
    number: int  # 7


@dataclass(frozen=True)
class Mode:
    """One of the three MGSM tasks."""

    task: str
    chain_of_thought: bool
    english_prompt: bool  # instructions / exemplars in English, question in its own language
    max_gen_toks: int
    description: str


DIRECT = Mode(
    task="mgsm_direct",
    chain_of_thought=False,
    english_prompt=False,
    max_gen_toks=32,
    description="MGSM, answer only (no reasoning), prompt in the content language",
)
NATIVE_COT = Mode(
    task="mgsm_native_cot",
    chain_of_thought=True,
    english_prompt=False,
    max_gen_toks=512,
    description="MGSM, chain of thought, prompt in the content language",
)
EN_COT = Mode(
    task="mgsm_en_cot",
    chain_of_thought=True,
    english_prompt=True,
    max_gen_toks=512,
    description="MGSM, chain of thought, English prompt and exemplars, question in its language",
)
MODES = (DIRECT, NATIVE_COT, EN_COT)

ExemplarSource = Callable[[LoadContext, str], Sequence[Exemplar]]  # (context, language)


def render_prompt(
    item: Item,
    num_fewshot: int,
    context: LoadContext | None = None,
    *,
    mode: Mode,
    words: Words,
    exemplars: ExemplarSource,
) -> str:
    """The full prompt for `item`; `words` are those of the prompt language."""
    if not 0 <= num_fewshot <= MAX_FEWSHOT:
        raise ValueError(
            f"MGSM has {MAX_FEWSHOT} few-shot exemplars; got num_fewshot={num_fewshot}"
        )
    if num_fewshot == 0:
        return zero_shot_prompt(item.question, mode, words)
    shots = exemplars(context or LoadContext(), words.short)[:num_fewshot]
    return few_shot_prompt(item.question, shots, mode, words)


def zero_shot_prompt(question: str, mode: Mode, words: Words) -> str:
    """simple-evals' layout. Direct mode ends on the answer prefix, as its few-shot form does, so
    that the response is the answer itself."""
    if mode.chain_of_thought:
        return f"{words.cot_instruction}\n\n{question}"
    return f"{words.direct_instruction}\n\n{question}\n{words.answer_prefix.rstrip()}"


def few_shot_prompt(question: str, shots: Sequence[Exemplar], mode: Mode, words: Words) -> str:
    """The paper's layout: exemplar blocks, then the question, ending on the answer prefix."""
    blocks = [_exemplar_block(shot, mode, words) for shot in shots]
    answer_prefix = words.cot_answer_prefix if mode.chain_of_thought else words.answer_prefix
    blocks.append(f"{words.question_prefix}{question}\n{answer_prefix.rstrip()}")
    return "\n\n".join(blocks)


def _exemplar_block(shot: Exemplar, mode: Mode, words: Words) -> str:
    if mode.chain_of_thought:
        return f"{shot.question}\n{shot.answer}"
    return f"{shot.question}\n{words.answer_prefix}{shot.number}"


def reference_response(item: Item, *, mode: Mode, words: Words) -> str:
    """What a perfect model answers: the answer line the zero-shot CoT instruction asks for, or,
    in direct mode, just the number after the prompt's final answer prefix."""
    if mode.chain_of_thought:
        return f"{words.answer_prefix}{item.gold}"
    return f"{words.answer_prefix[len(words.answer_prefix.rstrip()) :]}{item.gold}"


def stop_sequences(mode: Mode, content: Words, prompt: Words) -> tuple[str, ...]:
    """Stop before the model starts a new question on a new line (few-shot continuation).

    Only "\\n<prefix>" stops, never the bare prefix: a zero-shot answer may restate the problem
    as "Задача: …" on its first line. Direct answers are one line, so a blank line stops too.
    """
    prefixes = dict.fromkeys(w.question_prefix.rstrip() for w in (prompt, content))
    stops = tuple(f"\n{prefix}" for prefix in prefixes)
    return stops if mode.chain_of_thought else ("\n\n", *stops)
