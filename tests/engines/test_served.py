"""Served models (`local:`, `local-chat:`, `lm-eval:`) against a misbehaving OpenAI-compatible
test server on 127.0.0.1: retries, per-request errors, failed runs, resume, identity, cache,
native tools, and API keys that never leak."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import duckdb
import pytest

import xbench
from tests.helpers import xbench_cli
from tests.openai_server import FakeOpenAI
from xbench.errors import XbenchError

CAPITALS = Path(__file__).resolve().parents[1] / "plugins" / "xbench-capitals"
PLUGIN = [str(CAPITALS)]
KEY = "sk-test-4f1c2b9a7e6d5c3b"
FAST = "num_concurrent=4,max_retries=2,backoff=0,timeout=1"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


@pytest.fixture
def server():
    srv = FakeOpenAI(api_key=KEY)
    yield srv
    srv.stop()


def _run(spec: str, db: Path, **kwargs):
    kwargs.setdefault("tasks", ["capitals"])
    return xbench.run(model=spec, plugin_paths=PLUGIN, db=db, progress=False, **kwargs)


def _samples(db: Path, run_id: str) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT language, item_key, response, score, error, note FROM samples WHERE run_id = ?",
            [run_id],
        ).fetchall()
    return {(r[0][:3], r[1]): r[2:] for r in rows}


@pytest.mark.parametrize("kind", ["local", "local-chat"])
def test_faults_are_retried_then_stored_as_sample_errors(kind, server, tmp_path):
    server.faults = {
        "of France": ["429", "500"],  # transient twice, then answered
        "of Japan": ["503"] * 9,  # never recovers
        "of Kenya": ["malformed"] * 9, "Frankreich": ["length"], "Kenia": ["empty_choices"],
        "Francia": ["timeout"] * 9, "Japón": ["content_filter"],
    }  # fmt: skip
    result = _run(f"{kind}:{server.url},model=served-model,{FAST}", tmp_path / "x.duckdb")
    samples = _samples(tmp_path / "x.duckdb", result.run_id)
    answer = "Paris" if kind == "local-chat" else " Paris"
    assert samples["eng", "fr"] == (answer, 1.0, None, None)
    assert server.requests_for("of France") == 3  # two retries
    assert samples["eng", "jp"][2] == "HTTP 503 (server error) after 3 tries"
    assert server.requests_for("of Japan") == 3  # bounded by max_retries=2
    assert samples["eng", "ke"][2] == "malformed or truncated JSON in the response after 3 tries"
    assert samples["deu", "fr"][0].strip() == "Paris"
    assert samples["deu", "fr"][3] == "cut at the token limit (finish_reason=length)"
    assert samples["deu", "ke"][2].startswith("the server returned no choices")
    assert KEY not in samples["deu", "ke"][2]  # the server echoed the key: redacted
    assert samples["spa", "fr"][2] == "no answer within 1 s after 3 tries"
    assert "content filter" in samples["spa", "jp"][2]
    for _, score, error, _ in samples.values():
        assert (score is None) == (error is not None)  # an error is never a score
    english = next(s for s in result.scores if s["language"] == "eng_Latn")
    assert (english["n"], english["n_errors"]) == (3, 2)
    with duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True) as con:
        [(prompt,)] = con.execute("SELECT prompt FROM samples WHERE item_key = 'fr'"
                                  " AND language = 'eng_Latn'").fetchall()  # fmt: skip
    if kind == "local-chat":  # the messages sent, as JSON (never a Python tuple's repr)
        assert json.loads(prompt)[-1]["content"].endswith("of France?\nAnswer:")
    else:
        assert prompt.endswith("of France?\nAnswer:")


def test_truncated_body_null_content_and_dropped_connection(server, tmp_path):
    server.faults = {"of France": ["truncated"] * 9, "of Japan": ["null_content"],
                     "of Kenya": ["disconnect", "ok"]}  # fmt: skip
    spec = f"local-chat:{server.url},model=served-model,{FAST}"
    result = _run(spec, tmp_path / "x.duckdb", languages=["en"])
    samples = _samples(tmp_path / "x.duckdb", result.run_id)
    assert "after 3 tries" in samples["eng", "fr"][2]
    assert samples["eng", "jp"][2] == "the model returned no content (null)"
    assert samples["eng", "ke"][:2] == ("Nairobi", 1.0)  # retried after the dropped connection


def test_rerun_sends_only_the_requests_without_an_answer(server, tmp_path):
    server.faults = {"of Japan": ["503"] * 3}
    spec = f"local:{server.url},model=served-model,{FAST}"
    first = _run(spec, tmp_path / "x.duckdb", languages=["en", "de"])
    assert sum(s["n_errors"] for s in first.scores) == 1
    sent = len(server.log)
    second = _run(spec, tmp_path / "x.duckdb", languages=["en", "de"])
    new = server.log[sent:]
    assert [e["prompt"].split("\n")[0] for e in new] == ["What is the capital of Japan?"]
    assert sum(s["n_errors"] for s in second.scores) == 0
    # Other generation settings never reuse old answers: everything is sent again.
    sent = len(server.log)
    _run(spec, tmp_path / "x.duckdb", languages=["en", "de"], system_prompt="Be brief.")
    assert len(server.log) - sent == 6


def test_a_dead_server_fails_the_run_and_a_rerun_resumes(tmp_path):
    server = FakeOpenAI(api_key=KEY)
    server.faults = {"Francia": ["die"]}  # the last unit (spa) kills the server
    spec = f"local:{server.url},model=served-model,num_concurrent=1,max_retries=1,backoff=0"
    db = tmp_path / "x.duckdb"
    with pytest.raises(XbenchError, match="cannot reach .* start the server or fix the URL") as err:
        _run(spec, db)
    assert "\n" not in str(err.value)
    with duckdb.connect(str(db), read_only=True) as con:
        status, error = con.execute("SELECT status, error FROM runs").fetchone()
        units = {r[0] for r in con.execute("SELECT DISTINCT task_name FROM scores").fetchall()}
    assert status == "failed" and "cannot reach" in error
    assert units == {"capitals.deu_Latn", "capitals.eng_Latn"}  # finished before the crash: kept
    revived = FakeOpenAI(api_key=KEY, port=server.port)
    try:
        result = _run(spec, db)
    finally:
        revived.stop()
    assert result.resumed
    # Only the unit that was missing is sent.
    assert {e["prompt"].split(" ")[0] for e in revived.log} == {"¿Cuál"}
    assert len(revived.log) == 3
    assert {s["task_name"] for s in result.scores} == {
        "capitals.eng_Latn", "capitals.deu_Latn", "capitals.spa_Latn"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("local:http://127.0.0.1:{closed}/v1,model=served-model", "cannot reach http://127.0.0.1"),
        (
            "local:http://no-such-host.invalid/v1,model=served-model",
            "cannot reach http://no-such-host",
        ),
        (
            "local:{url},model=other-model",
            r"does not serve model 'other-model' \(it serves: served-model\)",
        ),
    ],
)
def test_an_endpoint_that_cannot_serve_fails_before_any_unit(spec, message, server, tmp_path):
    closed = FakeOpenAI()
    closed.stop()
    spec = spec.format(url=server.url, closed=closed.port)
    with pytest.raises(XbenchError, match=message) as err:
        _run(spec + ",max_retries=0", tmp_path / "x.duckdb")
    assert "\n" not in str(err.value) and KEY not in str(err.value)
    assert server.log == []  # not one completion request was sent


def test_a_bad_key_says_which_variable_to_set(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-000000")
    with pytest.raises(
        XbenchError, match=r"refused the credentials \(HTTP 401\); set OPENAI_API_KEY"
    ):
        _run(f"local:{server.url},model=served-model", tmp_path / "x.duckdb")


def test_404_mid_run_stops_the_run(server, tmp_path):
    server.faults = {"of Japan": ["404"]}
    with pytest.raises(XbenchError, match="HTTP 404"):
        _run(f"local:{server.url},model=served-model,{FAST}", tmp_path / "x.duckdb")


def test_identity_name_and_generation_settings_are_stored(server, tmp_path):
    db = tmp_path / "x.duckdb"
    spec = f"local-chat:{server.url},model=served-model,{FAST}"
    result = _run(spec, db, languages=["en"], system_prompt="Answer with the city only.",
                  model_name="My Model 7B", seed=7)  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        model, model_spec, info = con.execute(
            "SELECT model, model_spec, model_info FROM runs WHERE run_id = ?", [result.run_id]
        ).fetchone()
    info = json.loads(info)
    assert (model, model_spec) == ("My Model 7B", spec)
    assert info["served_model"] == "served-model" and info["server"] == "fake-1.0"
    assert info["engine"] == "lm-eval local-chat-completions"
    assert info["generation"]["system_prompt"] == "Answer with the city only."
    assert info["generation"]["chat_template"] is True
    assert info["generation"]["per_task"]["capitals"] == {"until": ["\n"], "max_gen_toks": 8}
    body = server.log[0]["body"]
    assert body["messages"][0] == {"role": "system", "content": "Answer with the city only."}
    assert (body["seed"], body["temperature"], body["max_tokens"]) == (7, 0.0, 8)
    # Without --model-name, the name is the served model's, never a URL.
    plain = _run(spec, db, languages=["en"])
    with duckdb.connect(str(db), read_only=True) as con:
        name = con.execute("SELECT model FROM runs WHERE run_id = ?", [plain.run_id]).fetchone()
    assert name == ("served-model",)


def test_tools_go_natively_to_a_chat_endpoint(server, tmp_path, shared_data):
    server.faults = {"": ["tool_call"] * 50}
    db = tmp_path / "x.duckdb"
    spec = f"local-chat:{server.url},model=served-model,{FAST}"
    result = xbench.run(model=spec, tasks=["tucan"], limit=2, data_dir=shared_data, db=db,
                        progress=False)  # fmt: skip
    assert {s["tools_via"] for s in result.scores} == {"native"}
    body = server.log[0]["body"]
    assert body["tools"][0]["type"] == "function" and "name" in body["tools"][0]["function"]
    with duckdb.connect(str(db), read_only=True) as con:
        responses = [r[0] for r in con.execute("SELECT response FROM samples").fetchall()]
    assert all(r.startswith("```tool_call\n{") for r in responses)
    # tools=prompt: the tools travel in the prompt text, as for any model
    sent = len(server.log)
    prompt = xbench.run(model=spec + ",tools=prompt", tasks=["tucan"], limit=1,
                        data_dir=shared_data, db=db, progress=False)  # fmt: skip
    assert {s["tools_via"] for s in prompt.scores} == {"prompt"}
    assert "tools" not in server.log[sent]["body"]
    # The two ways are two tasks in every view: never ranked as one.
    with duckdb.connect(str(db), read_only=True) as con:
        tasks = con.execute("SELECT DISTINCT task FROM model_parity ORDER BY 1").fetchall()
    assert tasks == [("tucan",), ("tucan [native tools]",)]


def test_lm_eval_pass_through_runs_any_model_type(server, tmp_path):
    spec = (f"lm-eval:local-completions,base_url={server.url}/completions,model=served-model,"
            "tokenizer_backend=None,tokenized_requests=False")  # fmt: skip
    result = _run(spec, tmp_path / "x.duckdb", languages=["en"])
    assert [s["value"] for s in result.scores] == [1.0]


def test_in_process_engines_say_how_to_install_them(tmp_path):
    if importlib.util.find_spec("vllm"):
        pytest.skip("vllm is installed here")
    with pytest.raises(XbenchError, match=r"needs the package vllm .*pip install vllm"):
        _run("vllm:org/model,tensor_parallel_size=2", tmp_path / "x.duckdb")
    with pytest.raises(XbenchError, match="tensor_parallel_size='two'.* must be a int"):
        _run("vllm:org/model,tensor_parallel_size=two", tmp_path / "x.duckdb")


def test_no_api_key_in_the_store_exports_or_output(server, tmp_path):
    server.faults = {"of Kenya": ["empty_choices"], "of Japan": ["401"]}
    db = tmp_path / "x.duckdb"
    out = xbench_cli("run", "--model", f"local:{server.url},model=served-model,{FAST}",
                     "--tasks", "capitals", "--languages", "en", "--plugin-path", PLUGIN[0],
                     "--db", str(db), env={"OPENAI_API_KEY": KEY})  # fmt: skip
    assert out.returncode == 2 and "refused the credentials" in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in out.stderr
    assert "Requesting API" not in out.stderr and "it/s" not in out.stderr  # lm-eval's bars off
    exported = tmp_path / "out.jsonl"
    assert xbench_cli("export", "--db", str(db), "--out", str(exported)).returncode == 0
    with duckdb.connect(str(db), read_only=True) as con:
        dump = json.dumps([con.execute(f"SELECT * FROM {t}").fetchall()
                           for t in ("runs", "scores", "samples")], default=str)  # fmt: skip
    for text in (out.stdout, out.stderr, exported.read_text(), dump):
        assert KEY not in text
    assert KEY not in (db.read_bytes().decode("latin-1"))


def test_a_model_plugin_registers_a_kind(tmp_path):
    plugin = tmp_path / "plugins"
    plugin.mkdir()
    (plugin / "shouting.py").write_text(
        '"""A model plugin: answers every prompt with its last word, upper-cased."""\n'
        "from xbench import ModelKind\n\n\n"
        "def build(spec, context):\n"
        "    from lm_eval.api.model import LM\n\n"
        "    class Shout(LM):\n"
        "        def generate_until(self, requests, disable_tqdm=False):\n"
        "            return [r.args[0].split()[-1].upper() for r in requests]\n\n"
        "        def loglikelihood(self, requests, disable_tqdm=False):\n"
        "            raise NotImplementedError\n\n"
        "        loglikelihood_rolling = loglikelihood\n\n"
        "    lm = Shout()\n"
        "    lm.xbench_identity = {'engine': 'shout 1.0'}\n"
        "    return lm\n\n\n"
        "def register_models(register):\n"
        "    register(ModelKind(name='shout', usage='shout[:volume=N]', takes_target=False,\n"
        "                       options=frozenset({'volume'}), build=build, cacheable=False))\n"
    )
    db = tmp_path / "x.duckdb"
    result = xbench.run(model="shout:volume=11", tasks=["capitals"], languages=["en"], db=db,
                        plugin_paths=[*PLUGIN, plugin], progress=False)  # fmt: skip
    assert result.scores[0]["n"] == 3
    with duckdb.connect(str(db), read_only=True) as con:
        response, info = con.execute(
            "SELECT s.response, r.model_info FROM samples s JOIN runs r USING (run_id) LIMIT 1"
        ).fetchone()
    assert response == "ANSWER:" and json.loads(info)["engine"] == "shout 1.0"
    out = xbench_cli("models", "--plugin-path", str(plugin))
    assert out.returncode == 0 and "shout[:volume=N]" in out.stdout and "local-chat" in out.stdout
    with pytest.raises(XbenchError, match=r"unknown shout option\(s\) \['colour'\]"):
        xbench.run(model="shout:colour=red", tasks=["capitals"], db=db,
                   plugin_paths=[*PLUGIN, plugin], progress=False)  # fmt: skip


def test_hosted_kinds_need_their_key_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    for spec, variable in (("openai-chat:gpt-4o-mini", "OPENAI_API_KEY"),
                           ("anthropic-chat:claude-3-5-haiku-latest", "ANTHROPIC_API_KEY")):  # fmt: skip
        with pytest.raises(XbenchError, match=f"environment variable {variable}"):
            _run(spec, tmp_path / "x.duckdb")
    assert not (tmp_path / "x.duckdb").exists()  # failed before the store was touched
    with pytest.raises(XbenchError, match="looks like a credential"):
        _run("lm-eval:openai-chat-completions,model=m,api_key=sk-abc", tmp_path / "x.duckdb")


def test_sglang_says_how_to_install_it(tmp_path):
    if importlib.util.find_spec("sglang"):
        pytest.skip("sglang is installed here")
    with pytest.raises(
        XbenchError, match=r"pip install 'xbench\[sglang\]'|needs the package sglang"
    ):
        _run("sglang:org/model,tensor_parallel_size=2", tmp_path / "x.duckdb")
