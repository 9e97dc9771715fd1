import dataclasses

import pytest

from tests.helpers import CAPITALS
from xbench.errors import XbenchError
from xbench.plugins import PluginError, Registry, load_registry
from xbench.spec import Item, Scored, TaskSpec


def _spec(language="eng_Latn", **overrides):
    fields = dict(
        benchmark="demo", task="demo_qa", language=language, prompt_language=language,
        partition="original", version="1", source="test",
        load=lambda ctx: [Item("0", "q", "a")], render=lambda item, k: item.question,
        score=lambda response, item: Scored(response, float(response == item.gold)),
    )  # fmt: skip
    return TaskSpec(**{**fields, **overrides})


def test_variant_name_is_task_dot_language():
    assert _spec("deu_Latn").name == "demo_qa.deu_Latn"


def test_duplicate_registration_names_both_plugins():
    registry = Registry()
    registry.register_from("first")(_spec())
    with pytest.raises(PluginError, match="registered twice.*first.*second"):
        registry.register_from("second")(_spec())


def test_invalid_partition_and_non_spec_are_rejected():
    registry = Registry()
    with pytest.raises(PluginError, match="partition"):
        registry.register_from("p")(_spec(partition="made_up"))
    with pytest.raises(PluginError, match="not an xbench.TaskSpec"):
        registry.register_from("p")({"task": "x"})


def test_select_by_benchmark_task_variant_and_language():
    registry = Registry()
    for lang in ("eng_Latn", "deu_Latn", "jpn_Jpan"):
        registry.register_from("p")(_spec(lang))
    registry.register_from("p")(_spec(task="demo_other"))
    assert len(registry.select(["demo"])) == 4
    assert [s.name for s in registry.select(["demo_qa"], ["de", "ja"])] == [
        "demo_qa.deu_Latn", "demo_qa.jpn_Jpan",
    ]  # fmt: skip
    assert [s.name for s in registry.select(["demo_qa.deu_Latn"])] == ["demo_qa.deu_Latn"]


def test_unknown_task_and_language_list_what_exists():
    registry = Registry()
    registry.register_from("p")(_spec())
    with pytest.raises(XbenchError, match=r"unknown task .nope.; benchmarks: demo"):
        registry.select(["nope"])
    with pytest.raises(XbenchError, match=r"no language xx; available: eng_Latn"):
        registry.select(["demo"], ["xx"])


def test_builtin_mgsm_comes_through_the_entry_point_group():
    registry = load_registry()
    assert registry.origin["mgsm_direct.eng_Latn"].startswith("mgsm (xbench_tasks.mgsm")


def test_plugin_path_loads_a_package_folder():
    registry = load_registry([CAPITALS])
    spec = registry.specs["capitals.deu_Latn"]
    assert spec.benchmark == "capitals" and spec.partition == "human_translated"


def test_plugin_path_twice_is_a_duplicate_registration():
    with pytest.raises(PluginError, match="registered twice"):
        load_registry([CAPITALS, CAPITALS])


def test_malformed_plugin_gets_a_clear_error(tmp_path):
    with pytest.raises(PluginError, match="no function register_tasks"):
        load_registry([CAPITALS.parent / "broken"])
    (tmp_path / "crash.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(PluginError, match="failed to import: ModuleNotFoundError"):
        load_registry([tmp_path])
    with pytest.raises(XbenchError, match="not a folder"):
        load_registry([tmp_path / "missing"])


def test_specs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _spec().language = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("typed", "variant"),
    [
        ("hi", "hin_Deva"), ("HIN", "hin_Deva"), ("tr", "tur_Latn"), ("nl", "nld_Latn"),
        ("eng", "eng_Latn"), ("deu", "deu_Latn"), ("de", "deu_Latn"), ("zh-Hant", "zho_Hant"),
        ("zho_Hant", "zho_Hant"), ("zh", "zho_Hans"), ("pt-BR", "por_Latn"), ("ar", "arb_Arab"),
        ("sw", "swh_Latn"), ("german", "deu_Latn"), ("Deutsch", "deu_Latn"), ("DEU_latn", "deu_Latn"),
    ],
)  # fmt: skip
def test_every_usual_language_code_form_selects_the_variant(typed, variant):
    registry = load_registry()
    task = "mgsm_direct" if variant == "eng_Latn" else "ntrex128_chat_en-x"  # en->X has no eng
    [spec] = registry.select([task], [typed])
    assert spec.language == variant


def test_task_names_are_case_insensitive_and_typos_get_a_suggestion():
    registry = load_registry()
    assert [s.name for s in registry.select(["MGSM_direct"], ["de"])] == ["mgsm_direct.deu_Latn"]
    with pytest.raises(XbenchError, match="did you mean mgsm_direct") as err:
        registry.select(["mgsm_drect"])
    assert len(str(err.value)) < 300  # a suggestion, not a dump of every name
    with pytest.raises(XbenchError, match=r"no language deutsh \(did you mean deu_Latn\?\)"):
        registry.select(["mgsm"], ["deutsh"])
    with pytest.raises(XbenchError, match=r"no language hi \(hin_Deva\); available"):
        registry.select(["mgsm"], ["hi"])  # a real code MGSM lacks: no suggestion


@pytest.mark.parametrize(
    ("field", "code", "hint"),
    [("language", "german", "use 'deu_Latn'"), ("prompt_language", "de", "use 'deu_Latn'"),
     ("language", "xx_Yyyy", "e.g. 'deu_Latn'")],
)  # fmt: skip
def test_a_plugin_with_a_bad_language_code_fails_when_it_registers(field, code, hint):
    registry = Registry()
    with pytest.raises(PluginError, match=f"plugin p: task 'demo_qa' has {field} '{code}'.*{hint}"):
        registry.register_from("p")(dataclasses.replace(_spec(), **{field: code}))


GREETER = """
from xbench import Item, Scored, TaskSpec

def register_tasks(register, context):
    languages = (context.option("languages") or "eng_Latn").split(",")
    context.option("name")  # declared here, read by the loader from its LoadContext
    for language in languages:
        register(TaskSpec(
            benchmark="greet", task="greet", language=language, prompt_language=language,
            partition="original", version="1", source="inline",
            load=lambda ctx: [Item("0", ctx.options.get("name", "?"), ctx.options.get("name", "?"))],
            render=lambda item, k: "Say " + item.question, score=lambda r, item: Scored(r, 1.0),
        ))
"""


def test_plugin_options_are_arguments_that_reach_registration_and_loading(tmp_path):
    import xbench

    (tmp_path / "greeter.py").write_text(GREETER)
    args = ["greeter.languages=eng_Latn,deu_Latn", "greeter.name=Ada"]
    registry = load_registry([tmp_path], args)
    assert sorted(n for n in registry.specs if n.startswith("greet.")) == [
        "greet.deu_Latn",
        "greet.eng_Latn",
    ]
    assert registry.load_context("greet.deu_Latn", xbench.LoadContext()).options["name"] == "Ada"
    run = xbench.run(model="fake", tasks=["greet"], plugin_paths=[tmp_path], task_args=args,
                     db=tmp_path / "x.duckdb", progress=False)  # fmt: skip
    with __import__("duckdb").connect(str(run.db), read_only=True) as con:
        prompts = con.execute("SELECT DISTINCT prompt FROM samples").fetchall()
        stored = con.execute("SELECT args->'task_args' FROM runs").fetchone()[0]
    assert prompts == [("Say Ada",)]
    assert __import__("json").loads(stored) == sorted(args)  # part of the run's identity
    with pytest.raises(
        XbenchError, match="plugin greeter has no option 'nme'; its options: languages, name"
    ):
        load_registry([tmp_path], ["greeter.nme=Ada"])


def test_variants_told_apart_by_their_axes_not_their_task_names(tmp_path):
    """One task, German content, instructions in German and in English: two variants named
    from their axes; the prompt-language effect pairs them without any naming convention."""
    import xbench

    def variant(prompt_language, **extra):
        return _spec("deu_Latn", task="cot", prompt_language=prompt_language, **extra)

    registry = Registry()
    register = registry.register_from("demo")
    for prompt_language in ("deu_Latn", "eng_Latn"):
        register(variant(prompt_language, axes=("prompt_language",)))
    assert sorted(registry.specs) == [
        "cot.deu_Latn@prompt=deu_Latn",
        "cot.deu_Latn@prompt=eng_Latn",
    ]
    assert len(registry.select(["cot"], ["de"])) == 2
    with pytest.raises(PluginError, match=r"registered twice .*TaskSpec\(axes=\.\.\.\)"):
        register(variant("eng_Latn", axes=("prompt_language",)))
    with pytest.raises(PluginError, match="unknown axes \\['dialect'\\]"):
        register(variant("fra_Latn", axes=("dialect",)))

    (tmp_path / "cot.py").write_text(
        "from xbench import Item, Scored, TaskSpec\n\n"
        "def register_tasks(register):\n"
        "    for prompt in ('deu_Latn', 'eng_Latn'):\n"
        "        register(TaskSpec(benchmark='cot', task='cot', language='deu_Latn',\n"
        "            prompt_language=prompt, partition='original', version='1', source='inline',\n"
        "            load=lambda ctx: [Item('0', 'q', 'a')], render=lambda item, k: item.question,\n"
        "            score=lambda r, item, prompt=prompt: Scored(r, float(prompt == 'deu_Latn')),\n"
        "            axes=('prompt_language',)))\n"
    )
    run = xbench.run(model="fake", tasks=["cot"], plugin_paths=[tmp_path],
                     db=tmp_path / "x.duckdb", progress=False)  # fmt: skip
    [effect] = xbench.report(run.run_id, db=run.db).prompt_language_effect
    assert (effect["native"], effect["other"], effect["delta"]) == (1.0, 0.0, 1.0)
