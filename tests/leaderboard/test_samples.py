"""The Samples page: drill-down links, sensitive texts behind a click, literal search, paging."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import xbench
from tests.leaderboard import pages
from xbench_leaderboard import queries

shown = pages.shown


def open_page(**params: str) -> AppTest:
    return pages.open_page("samples", "Samples", **params)


def run_of(db, model: str, task_name: str) -> str:
    units = {
        r: set(queries.units(db, r).task_name)
        for r in queries.runs(db).query("model == @model").run_id
    }
    return next(run for run, names in units.items() if task_name in names)


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


def test_drill_down_link_shows_the_unit_and_its_samples(app_env):
    run = run_of(app_env, "fake:accuracy=0.8", "capitals.deu_Latn")
    at = open_page(run=run, unit="capitals.deu_Latn")

    header = queries.unit(app_env, run, "capitals.deu_Latn").iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    assert shown(at.subheader[0].value) == "fake:accuracy=0.8 on capitals.deu_Latn"
    assert "capitals v1" in shown(at.caption[0].value)
    assert metrics["Language"] == metrics["Prompt language"] == "deu_Latn"
    assert metrics["n"] == "3" and metrics["Errors"] == "0"
    # The metric by its own name and scale: a 0-1 accuracy in percent points.
    assert metrics["accuracy%"] == f"{100 * header.value:.1f}"
    ci = f"95% CI [{100 * header.ci_low:.1f}, {100 * header.ci_high:.1f}]"
    assert ci in [c.value for c in at.caption]

    stored, total = queries.samples(app_env, run, "capitals.deu_Latn")
    assert len(at.expander) == total == 3
    assert "Was ist die Hauptstadt von Frankreich?\nAntwort:" in codes(at)
    assert set(stored.gold) <= set(codes(at))  # Paris, Tokio, Nairobi
    # The URL keeps the drill-down and gains the model the run belongs to.
    assert at.query_params["run"] == run and at.query_params["unit"] == "capitals.deu_Latn"
    assert at.query_params["model"] == "fake:accuracy=0.8"


def test_choosing_model_run_and_unit_writes_the_url(app_env):
    at = open_page()
    assert at.query_params["model"] == "fake:accuracy=0.3"  # the first model, by name
    at.selectbox(key="w_model").select("fake:accuracy=0.8").run()
    assert at.query_params["model"] == "fake:accuracy=0.8"
    run = run_of(app_env, "fake:accuracy=0.8", "mgsm_en_cot.swh_Latn")
    at.selectbox(key="w_run").select(run).run()
    at.selectbox(key="w_unit").select("mgsm_en_cot.swh_Latn").run()
    assert not at.exception
    assert dict(at.query_params) == {
        "model": "fake:accuracy=0.8", "run": run, "unit": "mgsm_en_cot.swh_Latn", "page": "1",
        "show": "all",
    }  # fmt: skip
    assert {m.label: m.value for m in at.metric}["Language"] == "swh_Latn"
    assert len(at.expander) == 12


def test_sensitive_unit_hides_texts_until_the_click(app_env):
    run = run_of(app_env, "fake:accuracy=0.8", "moodcheck.jpn_Jpan")
    at = open_page(run=run, unit="moodcheck.jpn_Jpan")

    assert "self-harm, eating disorders or drug overdose" in at.warning[0].value
    assert len(at.expander) == 2 and codes(at) == []  # scores and metadata only
    assert {m.label: m.value for m in at.metric}["n"] == "2"
    assert not at.checkbox(key=f"reveal:{run}:moodcheck.jpn_Jpan").value

    at.checkbox(key=f"reveal:{run}:moodcheck.jpn_Jpan").check().run()
    assert "Label the mood of: day 0 was 穏やか.\nMood:" in codes(at)
    # The reveal is not in the URL: the same link opened afresh hides the texts again.
    assert set(at.query_params) == {"model", "run", "unit", "page", "show"}
    assert codes(open_page(**at.query_params)) == []


def test_search_narrows_the_samples_and_matches_literally(app_env):
    run = run_of(app_env, "fake:accuracy=0.3", "mgsm_native_cot.eng_Latn")
    stored, total = queries.samples(app_env, run, "mgsm_native_cot.eng_Latn", limit=100)
    assert total == 12
    for search in ("%", "'", "_", "sells"):
        at = open_page(run=run, unit="mgsm_native_cot.eng_Latn", q=search)
        expected = [
            key for key, *texts in stored[["item_key", "prompt", "response", "extracted", "gold"]]
            .itertuples(index=False) if any(search.lower() in (t or "").lower() for t in texts)
        ]  # fmt: skip
        assert 0 < len(expected) < 12 or search == "_"
        assert [e.label.split(" · ")[0] for e in at.expander] == expected, search
        assert at.query_params["q"] == search
        if not expected:
            assert "No sample matches this search." in at.info[0].value

    at = open_page(run=run, unit="mgsm_native_cot.eng_Latn")
    at.text_input(key="w_q").input("%").run()
    assert len(at.expander) == 4 and at.query_params["q"] == "%"


@pytest.fixture(scope="module")
def paged_db(tmp_path_factory, shared_data):
    """45 samples in one unit: three pages of 20."""
    db = tmp_path_factory.mktemp("paged") / "x.duckdb"
    xbench.run(
        model="fake", tasks=["mgsm_native_cot"], languages=["en"], limit=45,
        db=db, data_dir=shared_data, progress=False,
    )  # fmt: skip
    return db


def test_paging_with_previous_and_next(paged_db, monkeypatch):
    monkeypatch.setenv("XBENCH_DB", str(paged_db))
    st.cache_data.clear()
    at = open_page()
    keys = lambda: [e.label.split(" · ")[0] for e in at.expander]  # noqa: E731
    assert keys() == [str(i) for i in range(20)]
    assert "45 samples · page 1 of 3" in [shown(c.value) for c in at.caption]
    assert at.button(key="prev").disabled

    at.button(key="next").click().run()
    assert at.query_params["page"] == "2" and keys() == [str(i) for i in range(20, 40)]
    at.button(key="next").click().run()
    assert keys() == [str(i) for i in range(40, 45)] and at.button(key="next").disabled
    at.button(key="prev").click().run()
    assert at.query_params["page"] == "2"

    # A page link opens that page; one past the end shows the last page.
    assert open_page(**{**at.query_params, "page": "3"}).expander[0].label.startswith("40 ")
    last = open_page(**{**at.query_params, "page": "99"})
    assert last.query_params["page"] == "3" and len(last.expander) == 5
    # A new search starts over at page 1.
    at.text_input(key="w_q").input("a").run()
    assert at.query_params["page"] == "1"


def test_unknown_run_or_unit_in_the_url_is_a_friendly_message(app_env):
    at = open_page(run="no-such-run", unit="mgsm_direct.eng_Latn")
    assert "There is no run no-such-run in" in shown(at.warning[0].value)
    assert at.query_params["run"] != "no-such-run"  # a valid run is chosen instead

    run = run_of(app_env, "smollm2-135m", "mgsm_direct.eng_Latn")
    at = open_page(run=run, unit="no-such-unit")
    assert f"Run {run} has no unit no-such-unit;" in shown(at.warning[0].value)
    assert at.query_params["unit"] in {"mgsm_direct.deu_Latn", "mgsm_direct.eng_Latn"}
    assert at.query_params["model"] == "smollm2-135m"


def test_url_parameters_are_plain_text_never_markdown(app_env):
    """A crafted link cannot make the page fetch an image, show a link or format text."""
    image = "x` ![pixel](http://127.0.0.1:9/p.png) [click](http://127.0.0.1:9/) **bold** `y"
    at = open_page(run=image)
    warning = at.warning[0].value
    assert shown(warning).startswith(f"There is no run {' '.join(image.split())}")
    for active in ("![", "](", "**", "`"):
        assert active not in warning.replace("\\" + active[0], "")  # every one escaped
    run = run_of(app_env, "fake:accuracy=0.3", "mgsm_native_cot.eng_Latn")
    at = open_page(run=run, unit="mgsm_native_cot.eng_Latn", q="[a](http://127.0.0.1:9/)")
    found = next(c.value for c in at.caption if "matching" in c.value)
    assert "](" not in found and "\\]\\(" in found


def test_search_of_a_sensitive_unit_needs_the_click(app_env):
    """Which hidden sample matches a query would reveal the hidden texts."""
    run = run_of(app_env, "fake:accuracy=0.8", "moodcheck.jpn_Jpan")
    unit = "moodcheck.jpn_Jpan"
    at = open_page(run=run, unit=unit, q="穏やか")
    assert len(at.expander) == 2  # the query is not applied: every sample, no match shown
    assert not any("matching" in c.value for c in at.caption)
    assert at.text_input[0].disabled
    at.checkbox(key=f"reveal:{run}:{unit}").check().run()
    at.text_input(key="w_q").input("day 0 was").run()
    assert [e.label.split(" · ")[0] for e in at.expander] == ["0"]


def test_a_cut_response_and_a_scorer_note_are_shown(tmp_path, monkeypatch):
    from xbench import runner

    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "noted.py").write_text(
        "from xbench import Item, Scored, TaskSpec\n"
        "def register_tasks(register):\n"
        "    register(TaskSpec(benchmark='noted', task='noted', language='eng_Latn',\n"
        "        prompt_language='eng_Latn', partition='original', version='1', source='inline',\n"
        "        load=lambda ctx: [Item('0', 'Say 0', '0')], render=lambda item, k: item.question,\n"
        "        score=lambda r, item: Scored(r[:1], float(r[:1] == item.gold),\n"
        "                                     note='stripped before the answer: \"Sure!\"')))\n",
        encoding="utf-8",
    )
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"task": "noted", "language": "en", "item_key": "0", "response": "0'
                           + "x" * 3000 + '"}\n', encoding="utf-8")  # fmt: skip
    monkeypatch.setattr(runner, "MAX_RESPONSE_CHARS", 1000)
    db = tmp_path / "x.duckdb"
    run = xbench.run(model=f"predictions:{predictions}", tasks=["noted"], plugin_paths=[folder],
                     db=db, progress=False)  # fmt: skip
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    at = open_page(run=run.run_id, unit="noted.eng_Latn")
    captions = [shown(c.value) for c in at.caption]
    assert "Response cut to its first 1,000 of 3,001 characters before scoring." in captions
    assert 'Scorer: stripped before the answer: "Sure!"' in captions


def test_show_wrong_errors_or_wrong_language_only(app_env, tmp_path, monkeypatch):
    import shutil

    import duckdb

    db = tmp_path / "x.duckdb"
    shutil.copy(app_env, db)
    run = run_of(db, "fake:accuracy=0.3", "mgsm_native_cot.deu_Latn")
    unit = "mgsm_native_cot.deu_Latn"
    with duckdb.connect(str(db)) as con:  # one sample an error, one in the wrong language
        keys = [k for (k,) in con.execute(
            "SELECT item_key FROM samples WHERE run_id = ? AND task_name = ? ORDER BY item_key",
            [run, unit]).fetchall()]  # fmt: skip
        con.execute("UPDATE samples SET score = NULL, error = 'the model returned no text'"
                    " WHERE run_id = ? AND task_name = ? AND item_key = ?", [run, unit, keys[0]])  # fmt: skip
        con.execute("UPDATE samples SET in_expected = false WHERE run_id = ? AND task_name = ?"
                    " AND item_key = ?", [run, unit, keys[1]])  # fmt: skip
        wrong = con.execute("SELECT count(*) FROM samples WHERE run_id = ? AND task_name = ?"
                            " AND error IS NULL AND score < 1", [run, unit]).fetchall()[0][0]  # fmt: skip
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    at = open_page(run=run, unit=unit, show="errors")
    assert at.selectbox(key="w_show").value == "errors"
    assert len(at.expander) == 1 and "· error ·" in at.expander[0].label
    at = open_page(run=run, unit=unit, show="wrong language")
    assert len(at.expander) == 1 and at.expander[0].label.startswith(keys[1])
    at = open_page(run=run, unit=unit, show="wrong")
    assert 0 < wrong == len(at.expander) and all("✗" in e.label for e in at.expander)
    assert f"{wrong} samples (wrong)" in " ".join(c.value for c in at.caption)
    # Choosing a kind writes it to the URL and starts at the first page.
    at.selectbox(key="w_show").set_value("all").run()
    assert at.query_params["show"] == "all" and at.query_params["page"] == "1"


def test_search_every_unit_of_a_run_but_never_a_hidden_one(app_env):
    """The capitals run also holds the sensitive moodcheck units: a search across the run's
    units finds capitals samples and never a moodcheck one."""
    run = run_of(app_env, "fake:accuracy=0.8", "capitals.deu_Latn")
    units = set(queries.units(app_env, run).task_name)
    assert any(u.startswith("moodcheck") for u in units)
    stored, total = queries.samples(app_env, run, None, "a", limit=100)
    assert total == len(stored) > 3 and not any(stored.task_name.str.startswith("moodcheck"))
    assert {u.partition(".")[0] for u in stored.task_name} == {"capitals"}
    at = open_page(run=run, unit="capitals.deu_Latn", q="a", scope="run")
    assert at.selectbox(key="w_scope").value == "run"
    assert len(at.expander) == total
    assert all(shown(e.label).startswith("capitals.") for e in at.expander)  # each names its unit
    assert f"{total} samples in every unit of this run" in " ".join(c.value for c in at.caption)
    # A link from before ?scope= (every=1) still searches the run.
    assert len(open_page(run=run, unit="capitals.deu_Latn", q="a", every="1").expander) == total
    # Without a search there is nothing to search across: the unit's own samples.
    at = open_page(run=run, unit="capitals.deu_Latn", scope="run")
    assert len(at.expander) == 3


def test_search_every_run_of_a_model(app_env):
    """fake:accuracy=0.8 ran MGSM in one run and capitals + moodcheck in another: a search
    over the model's runs finds both runs' samples, each naming its run, never moodcheck."""
    model = "fake:accuracy=0.8"
    runs = queries.runs(app_env)
    own = runs[runs.model == model].run_id.tolist()
    assert len(own) == 2
    stored, total = queries.samples(app_env, own, None, "a", limit=1000)
    assert total == len(stored) and set(stored.run_id) == set(own)
    assert not any(stored.task_name.str.startswith("moodcheck"))
    run = run_of(app_env, model, "capitals.deu_Latn")
    at = open_page(run=run, unit="capitals.deu_Latn", q="a", scope="model")
    caption = " ".join(c.value for c in at.caption)
    assert f"{total} samples in every run of {model}" in shown(caption)
    first = min(total, 20)  # one page
    assert len(at.expander) == first
    assert all(shown(e.label).split(" · ")[0] in own for e in at.expander)  # names its run


def test_function_calling_outcome_and_calls_as_call_text(tmp_path, monkeypatch, shared_data):
    from xbench_leaderboard.views.samples import readable_calls

    db = tmp_path / "x.duckdb"
    xbench.run(model="fake:accuracy=0.5", tasks=["bfcl_simple.eng_Latn", "tucan"], limit=4,
               data_dir=shared_data, db=db, progress=False)  # fmt: skip
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    run = queries.runs(db).run_id.iloc[0]
    stored, _ = queries.samples(db, run, "bfcl_simple.eng_Latn")
    at = open_page(run=run, unit="bfcl_simple.eng_Latn")
    outcomes = [shown(m.value) for m in at.markdown if m.value.startswith("**Outcome:**")]
    assert len(outcomes) == len(stored) == 4
    first = stored.iloc[0]
    outcome, made, expected = readable_calls(first.extracted, first.gold, alternatives=True)
    assert outcomes[0] == f"**Outcome:** {outcome}"
    assert expected in codes(at) and not any(c.startswith('[{"name"') for c in codes(at))
    assert "(" in expected and "=" in expected  # name(arg=value, ...)
    # BFCL lists every accepted value; TUCAN's gold values are the values themselves.
    assert readable_calls('{"outcome": "correct", "calls": []}',
                          '[{"name": "f", "arguments": {"unit": ["cm", ""]}}]',
                          alternatives=True)[2] == 'f(unit="cm" | "")'  # fmt: skip
    assert readable_calls('{"outcome": "correct", "calls": []}',
                          '[{"name": "f", "arguments": {"days": [1, 2]}}]')[2] == "f(days=[1, 2])"  # fmt: skip
    assert readable_calls("42", "42") is None
