"""Function-calling prompts: the tools are written into the prompt (TUCAN's layout).

Tucan-Eval puts everything in one user turn:

    {system prompt}

    ## Налични функции:
    {json.dumps(functions, ensure_ascii=False, indent=2)}

    ## Потребителска заявка:
    {user message}

and, with no functions, `{plain system prompt}\\n\\nПотребител: {user message}`. The Bulgarian
words are Tucan-9B's config (its headers' trailing spaces, "## Налични функции: " and
"## Потребителска заявка : ", are dropped). The English and Arabic words are our translations of
them (the Arabic not yet checked by a native speaker). The tools always travel in the prompt
text; with `--apply-chat-template` and a chat template that takes tools, xbench also passes
them through the template (`tool_schemas` below) and stores which way was used per unit
(`tools_via`).

BFCL questions may hold several messages (a system message, earlier turns); they are written
one per line as "<role>: <content>" under the user-request header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xbench.spec import Item

TOOLS_IN_PROMPT = (
    "tools: in prompt (TUCAN layout, ```tool_call blocks), also through the chat template where"
    " it takes tools"
)


def tool_schemas(item: Item) -> list[dict[str, Any]]:
    """The item's functions as chat-template tools (the OpenAI-style wrapper templates expect)."""
    return [{"type": "function", "function": dict(f)} for f in item.fields["functions"]]


@dataclass(frozen=True)
class Words:
    short: str  # ISO 639-1
    system: str  # the system prompt when functions are given (with the call template)
    plain_system: str  # the system prompt when there are none
    functions_header: str
    request_header: str
    user_label: str  # the role labels for multi-message questions and the no-function prompt
    system_label: str
    assistant_label: str
    no_call_answer: str  # a perfect model's text answer when no call is expected


_TEMPLATE = '```tool_call\n{ "name": "<function-name>", "arguments": <args-json-object> }\n```'

LANGUAGES: dict[str, Words] = {
    w.short: w
    for w in (
        Words(
            short="bg",
            system=(
                "Ти си полезен AI асистент, който предоставя полезни и точни отговори.\n\n"
                "Имаш достъп и можеш да извикаш една или повече функции, за да помогнеш с"
                " потребителското запитване. Използвай ги, само ако е необходимо и подходящо.\n\n"
                "Когато използваш функция, форматирай извикването ѝ в блок ```tool_call на"
                " отделен ред, a след това ще получиш резултат от изпълнението в блок ```.\n\n"
                f"## Шаблон за извикване: \n{_TEMPLATE}"
            ),
            plain_system="Ти си полезен AI асистент, който предоставя полезни и точни отговори.",
            functions_header="## Налични функции:",
            request_header="## Потребителска заявка:",
            user_label="Потребител",
            system_label="Система",
            assistant_label="Асистент",
            no_call_answer="Не мога да помогна с това чрез наличните функции.",
        ),
        Words(
            short="en",
            system=(
                "You are a helpful AI assistant that gives useful and accurate answers.\n\n"
                "You have access to one or more functions and can call them to help with the"
                " user's request. Use them only when necessary and appropriate.\n\n"
                "When you use a function, format the call in a ```tool_call block on its own"
                " line; you will then receive the result of the execution in a ``` block.\n\n"
                f"## Call template:\n{_TEMPLATE}"
            ),
            plain_system="You are a helpful AI assistant that gives useful and accurate answers.",
            functions_header="## Available functions:",
            request_header="## User request:",
            user_label="User",
            system_label="System",
            assistant_label="Assistant",
            no_call_answer="I cannot help with this using the available functions.",
        ),
        Words(
            short="ar",
            system=(
                "أنت مساعد ذكاء اصطناعي مفيد يقدم إجابات مفيدة ودقيقة.\n\n"
                "لديك إمكانية الوصول إلى دالة واحدة أو أكثر ويمكنك استدعاؤها لمساعدة المستخدم"
                " في طلبه. استخدمها فقط عندما يكون ذلك ضروريًا ومناسبًا.\n\n"
                "عندما تستخدم دالة، اكتب الاستدعاء في كتلة ```tool_call في سطر مستقل، ثم"
                " ستتلقى نتيجة التنفيذ في كتلة ```.\n\n"
                f"## قالب الاستدعاء:\n{_TEMPLATE}"
            ),
            plain_system="أنت مساعد ذكاء اصطناعي مفيد يقدم إجابات مفيدة ودقيقة.",
            functions_header="## الدوال المتاحة:",
            request_header="## طلب المستخدم:",
            user_label="المستخدم",
            system_label="النظام",
            assistant_label="المساعد",
            no_call_answer="لا يمكنني المساعدة في ذلك باستخدام الدوال المتاحة.",
        ),
    )
}


def render_prompt(item: Item, num_fewshot: int, *, words: Words) -> str:
    """The full prompt: instruction, tools as indented JSON, then the user request."""
    if num_fewshot != 0:
        raise ValueError(f"function calling has no few-shot exemplars; got {num_fewshot}")
    functions: Sequence[Mapping[str, Any]] = item.fields["functions"]
    request = _request(item, words)
    if not functions:
        return f"{words.plain_system}\n\n{words.user_label}: {request}"
    tools = json.dumps(list(functions), ensure_ascii=False, indent=2)
    return (
        f"{words.system}\n\n{words.functions_header}\n{tools}\n\n{words.request_header}\n{request}"
    )


def _request(item: Item, words: Words) -> str:
    messages = item.fields.get("messages") or ()
    if len(messages) <= 1:
        return item.question
    labels = {"user": words.user_label, "system": words.system_label}
    return "\n".join(
        f"{labels.get(m['role'], words.assistant_label)}: {m['content']}" for m in messages
    )


def reference_response(item: Item, *, words: Words) -> str:
    """A perfect answer: one ```tool_call block per expected call (the first allowed value of
    every BFCL argument other than "" = "may be omitted"; see `_first_choice`), or a
    short text when no call is expected; "any call" items call the first function with the
    required arguments the model would have to invent (empty here: any call counts)."""
    expected = item.fields["expected"]
    if expected["kind"] == "no_call":
        return words.no_call_answer
    if expected["kind"] == "any_call":
        calls = [{"name": item.fields["functions"][0]["name"], "arguments": {}}]
    elif expected.get("allowed_values"):
        schemas = {
            f.get("name"): (f.get("parameters") or {}).get("properties") or {}
            for f in item.fields["functions"]
        }
        calls = [
            {"name": c["name"], "arguments": _first_choice(_in_schema(c, schemas))}
            for c in expected["calls"]
        ]
    else:
        calls = list(expected["calls"])
    return "\n".join(f"```tool_call\n{json.dumps(call, ensure_ascii=False)}\n```" for call in calls)


def _in_schema(call: Mapping[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    """A BFCL ground-truth call without the optional ("" allowed) parameters that its function's
    schema does not have: upstream rejects an argument outside the schema, so a perfect answer
    leaves them out (parallel_multiple_12 `permeability`, parallel_multiple_26 `type`)."""
    schema = schemas.get(call["name"])
    return {
        name: options
        for name, options in call["arguments"].items()
        if schema is None or name in schema or not (isinstance(options, list) and "" in options)
    }


def _first_choice(allowed: Mapping[str, Any]) -> dict[str, Any]:
    """BFCL {param: [allowed values]} -> {param: first allowed value}, recursively (dicts inside
    the values are again {key: [allowed]}, or bare values); a parameter whose first option is ""
    takes the next option, and is left out when "" is its only one; [] (no option) means []."""
    out = {}
    for key, options in allowed.items():
        if not isinstance(options, list):
            out[key] = _resolve(options)
            continue
        choices = [option for option in options if option != ""] if options else [[]]
        if choices:
            out[key] = _resolve(choices[0])
    return out


def _resolve(value: Any) -> Any:
    if isinstance(value, dict):
        return _first_choice(value)
    if isinstance(value, list):
        return [_resolve(element) for element in value]
    return value
