"""How served responses become texts, errors and notes (no server needed)."""

from __future__ import annotations

import json

import pytest

from xbench import models
from xbench.models import api


def _lm(cls):
    lm = object.__new__(cls)  # parsing needs no connection
    lm.think_end_token = None
    return lm


def test_tool_calls_become_blocks_the_scorers_read():
    calls = [
        {"function": {"name": "get_weather", "arguments": '{"city": "София"}'}},
        {"function": {"name": "broken", "arguments": '{"city": '}},
    ]
    text = api.tool_call_blocks(calls)
    first, second = text.split("\n```\n")[0], text.split("\n```\n")[1]
    assert json.loads(first.removeprefix("```tool_call\n")) == {
        "name": "get_weather", "arguments": {"city": "София"}
    }  # fmt: skip
    assert second.startswith("```tool_call\n") and '"arguments": {"city": ' in second


def test_chat_choices_content_tools_and_reasons():
    lm = _lm(api.ChatLM)
    ok = {"index": 0, "finish_reason": "stop", "message": {"content": "Paris"}}
    assert lm._choice(ok) == "Paris"
    cut = {**ok, "finish_reason": "length"}
    assert models.read_response(lm._choice(cut)) == (
        "Paris", None, "cut at the token limit (finish_reason=length)"
    )  # fmt: skip
    blocked = {**ok, "finish_reason": "content_filter"}
    assert models.read_response(lm._choice(blocked))[1].startswith("the provider's content filter")
    reasoning = {"index": 0, "message": {"content": None, "reasoning_content": "hmm"}}
    assert "only reasoning" in models.read_response(lm._choice(reasoning))[1]
    assert (
        models.read_response(lm._choice("nope"))[1] == "a choice in the response is not an object"
    )
    tools = {"index": 0, "message": {"content": None, "tool_calls": [
        {"function": {"name": "f", "arguments": "{}"}}]}}  # fmt: skip
    assert lm._choice(tools).startswith("```tool_call\n")


def test_fewer_answers_than_prompts_never_shift_answers():
    lm = _lm(api.CompletionsLM)
    out = {"choices": [{"index": 0, "text": " a", "finish_reason": "stop"}]}
    texts = lm.parse_generations(out, contexts=["p1", "p2"])
    assert texts[0] == " a" and models.is_failure(texts[1])


def test_anthropic_content_blocks():
    lm = _lm(api.AnthropicChatLM)
    out = {"content": [{"type": "text", "text": "Paris"}], "stop_reason": "end_turn"}
    assert lm._texts(out) == ["Paris"]
    assert models.read_response(lm._texts({**out, "stop_reason": "max_tokens"})[0])[2]
    assert "refused" in models.read_response(lm._texts({**out, "stop_reason": "refusal"})[0])[1]


def test_native_tools_payload():
    lm = _lm(api.ChatLM)
    lm.model, lm._max_gen_toks = "m", 16
    envelope = models.tool_envelope(
        [{"role": "user", "content": "Weather?"}], [{"name": "get_weather", "parameters": {}}]
    )
    message = lm.create_message([envelope])
    payload = lm._create_payload(message, generate=True, gen_kwargs={"until": ["\n"]})
    assert payload["messages"] == [{"role": "user", "content": "Weather?"}]
    assert payload["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    ]


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("predictions:/home/me/preds/euro-strong-7b.jsonl", "euro-strong-7b"),
        ("hf:HuggingFaceTB/SmolLM2-135M-Instruct,dtype=float32", "SmolLM2-135M-Instruct"),
        (
            "local-chat:http://10.0.0.5:8000/v1,model=Qwen/Qwen2.5-7B-Instruct",
            "Qwen2.5-7B-Instruct",
        ),
        ("vllm:/models/llama-3.1-70b/,tensor_parallel_size=4", "llama-3.1-70b"),
        ("lm-eval:hf,pretrained=org/Model-1B", "Model-1B"),
        ("smollm2-135m", "smollm2-135m"),
        ("fake:accuracy=0.9", "fake:accuracy=0.9"),
    ],
)
def test_default_model_names_are_short_and_never_paths(spec, name, tmp_path):
    if spec.startswith("predictions:"):
        path = tmp_path / "euro-strong-7b.jsonl"
        path.write_text("")
        spec = f"predictions:{path}"
    kinds = models.builtin_kinds()
    resolved = models.resolve(spec)
    assert kinds[resolved.kind].display_name(resolved) == name
