import json

import pytest

from xbench import models
from xbench.errors import XbenchError


def test_resolve_kinds():
    assert models.resolve("smollm2-135m").kind == "smollm2-135m"
    hf = models.resolve("hf:org/model,revision=abc,dtype=bfloat16,device=cuda:0,peft=/a")
    assert (hf.kind, hf.target) == ("hf", "org/model")
    assert hf.options == {"revision": "abc", "dtype": "bfloat16", "device": "cuda:0", "peft": "/a"}
    assert models.resolve("fake:accuracy=1").options == {"accuracy": "1"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-17", "unknown model 'gpt-17'; model kinds: smollm2-135m, gemma3-270m, hf:"),
        ("hf:org/m,colour=red", "unknown hf option"),
        ("fake:speed", "not key=value"),
        ("predictions:/no/such.jsonl", "predictions file /no/such.jsonl not found"),
    ],
)
def test_bad_specs_fail_with_one_line(spec, message):
    with pytest.raises(XbenchError) as err:
        models.resolve(spec)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_gguf_package_says_how_to_install():
    package = models.GgufPackage("nope", "xbench-no-such-dist", "pip install xbench-no-such-dist")
    with pytest.raises(XbenchError, match="pip install xbench-no-such-dist"):
        package.locate()


def test_fake_is_deterministic_and_fails_on_request():
    respond = models.fake_responder({"accuracy": "0.5", "fail_after": "3"})
    doc = {"reference": "right"}
    first = [respond(doc, f"prompt {i}") for i in range(3)]
    again = models.fake_responder({"accuracy": "0.5"})
    assert first == [again(doc, f"prompt {i}") for i in range(3)]
    with pytest.raises(RuntimeError, match="after 3 requests"):
        respond(doc, "prompt 4")
    always = models.fake_responder({"accuracy": "1"})
    assert always(doc, "anything") == "right"


def test_predictions_file_lookup_missing_item_and_corrupt_line(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [
        {"task": "mgsm_direct", "language": "de", "item_key": 0, "response": "Antwort: 18"},
        {"task": "mgsm_direct", "language": "deu_Latn", "item_key": "1", "response": None},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    respond = models.predictions_responder(path)
    doc = {"task": "mgsm_direct", "language": "deu_Latn", "item_key": "0"}
    assert respond(doc, "") == "Antwort: 18"
    with pytest.raises(models.MissingResponse, match="mgsm_direct/deu_Latn/1"):
        respond({**doc, "item_key": "1"}, "")
    path.write_text(json.dumps(rows[0]) + "\n{not json\n")
    with pytest.raises(XbenchError, match=f"{path}:2: not JSON"):
        models.predictions_responder(path)


def test_missing_chunked_gguf_package_says_how_to_install():
    package = models.GgufPackage(
        "nope", "nope-dist", "pip install nope-dist", assembler="xbench_no_such_module"
    )
    with pytest.raises(
        XbenchError, match="needs the package nope-dist; install it with `pip install nope-dist`"
    ):
        package.locate()
