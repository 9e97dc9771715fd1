"""MultiLoKo plugin: registration, the encrypted archive, loaders, prompts (golden), scoring,
and the mother-tongue / locality effects on a synthetic archive.

Every item in these tests is self-written (QUESTIONS, `_synthetic_tree`); the real en/it dev
files are read from ../shared/data/multiloko through the `shared_data` fixture and never
stored. The golden prompts hold upstream's templates (shipped in the package as
upstream_prompts.json, MIT) around our own questions.

Regenerate the goldens with `XBENCH_UPDATE_GOLDEN=1 python -m pytest tests/tasks -k multiloko`,
then read the diff before committing it.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import warnings
from pathlib import Path
from types import MappingProxyType

import pytest

import xbench
from tests.helpers import assert_golden
from xbench.spec import DataError, Item, LoadContext, TaskSpec
from xbench_tasks.multiloko import build_specs, data, register_tasks
from xbench_tasks.multiloko.prompts import LANGUAGES, extract_answer
from xbench_tasks.multiloko.scoring import em_f1, normalize_v1, variants_v2

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "multiloko"
NORMALIZATION_CASES = json.loads(
    (HERE / "data" / "multiloko_normalization_cases.json").read_text(encoding="utf-8")
)
SPECS: dict[str, TaskSpec] = {s.name: s for s in build_specs()}


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Decrypted copies go to a temporary cache, never the user's."""
    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "xbench-cache"))
    data.data_root.cache_clear()


# --- registration ---------------------------------------------------------------------------


def test_registers_unique_variants_with_effect_fields():
    specs: list[TaskSpec] = []
    register_tasks(specs.append)
    assert len(specs) == 2 * (31 + 4 * 30) and len({s.name for s in specs}) == len(specs)
    local = SPECS["multiloko_local.ita_Latn"]
    assert (local.partition, local.origin_language, local.family) == ("original", None, "multiloko")
    to_en = SPECS["multiloko_italian_to_en_human.eng_Latn"]
    assert (to_en.language, to_en.prompt_language, to_en.partition, to_en.origin_language) == (
        "eng_Latn",
        "eng_Latn",
        "human_translated",
        "ita_Latn",
    )
    from_en = SPECS["multiloko_from_en_machine.ita_Latn"]
    assert (from_en.partition, from_en.origin_language, from_en.prompt_language) == (
        "machine_translated",
        "eng_Latn",
        "ita_Latn",
    )
    for spec in specs:
        assert spec.metric == "exact_match" and spec.max_fewshot == 5
        norm2 = spec.task.endswith("_norm2")
        assert spec.benchmark == spec.family == ("multiloko_norm2" if norm2 else "multiloko")
    assert "multiloko_from_en_human.eng_Latn" not in SPECS


# --- the encrypted archive ------------------------------------------------------------------


def encrypt(plain: bytes, password: str = data.PASSWORD, salt: bytes = b"12345678") -> bytes:
    """`openssl enc -aes-256-cbc -pbkdf2 -iter 100000 -salt` in Python (the test's side)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    secret = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000, dklen=48)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(secret[:32]), modes.CBC(secret[32:])).encryptor()
    return b"Salted__" + salt + encryptor.update(padded) + encryptor.finalize()


def tar_xz(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, text in sorted(files.items()):
            raw = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def test_decrypt_round_trip_and_errors():
    plain = b"x" * 37
    assert data.decrypt(encrypt(plain)) == plain
    with pytest.raises(DataError, match="wrong password or corrupt") as error:
        data.decrypt(encrypt(plain, password="not-it"), where="a.enc")
    assert "a.enc" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(DataError, match="not an OpenSSL 'Salted__'"):
        data.decrypt(b"PK\x03\x04 not an encrypted file at all")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command line")
def test_our_decryption_matches_the_openssl_command_line(tmp_path):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(tar_xz({"benchmark_data/english/dev.jsonl": "{}\n"}))
    subprocess.run(
        ["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-iter", "100000", "-salt",
         "-pass", "pass:multiloko", "-in", str(plain), "-out", str(tmp_path / "x.enc")],
        check=True,
    )  # fmt: skip
    assert data.decrypt((tmp_path / "x.enc").read_bytes()) == plain.read_bytes()


def test_wrong_password_on_a_real_shaped_archive_is_one_line(tmp_path):
    folder = tmp_path / "multiloko"
    folder.mkdir()
    blob = encrypt(tar_xz(_synthetic_tree(("english",))), password="other")
    (folder / "benchmark_data.tar.xz.enc").write_bytes(blob)
    with pytest.raises(DataError) as error:
        SPECS["multiloko_local.eng_Latn"].load(LoadContext(data_dir=tmp_path))
    message = str(error.value)
    assert "benchmark_data.tar.xz.enc" in message and "data_cards/multiloko.md" in message
    assert "\n" not in message


def test_truncated_archive_is_a_data_error(tmp_path):
    folder = tmp_path / "multiloko"
    folder.mkdir()
    good = encrypt(tar_xz(_synthetic_tree(("english",))))
    (folder / "benchmark_data.tar.xz.enc").write_bytes(good[: len(good) // 2 // 16 * 16])
    with pytest.raises(DataError, match="data_cards/multiloko.md"):
        SPECS["multiloko_local.eng_Latn"].load(LoadContext(data_dir=tmp_path))


def test_missing_data_names_the_folder_and_the_card(tmp_path):
    with pytest.raises(DataError) as error:
        SPECS["multiloko_local.ita_Latn"].load(LoadContext(data_dir=tmp_path))
    assert str(tmp_path / "multiloko") in str(error.value)
    assert "data_cards/multiloko.md" in str(error.value)


def test_download_failure_suggests_data_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "RELEASE_URL", (tmp_path / "nothing.enc").as_uri())
    with pytest.raises(DataError, match="--data-dir"):
        SPECS["multiloko_local.eng_Latn"].load(LoadContext())


def test_download_path_decrypts_the_release(monkeypatch, tmp_path):
    """No data dir: the release file is fetched (here from a file:// URL) and decrypted."""
    release = tmp_path / "benchmark_data.tar.xz.enc"
    release.write_bytes(encrypt(tar_xz(_synthetic_tree(("english", "italian")))))
    monkeypatch.setattr(data, "RELEASE_URL", release.as_uri())
    items = SPECS["multiloko_from_en_human.ita_Latn"].load(LoadContext())
    assert [i.item_key for i in items] == ["q01", "q02", "q03"]


# --- the real en/it files ---------------------------------------------------------------------


@pytest.fixture
def real_data(shared_data) -> Path:
    if not (shared_data / "multiloko" / "benchmark_data_en_it_dev.tar.xz.enc").is_file():
        pytest.skip("no MultiLoKo archive in the shared data")
    return shared_data


def test_real_en_it_archive_loads_250_items_each(real_data):
    ctx = LoadContext(data_dir=real_data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        english = SPECS["multiloko_local.eng_Latn"].load(ctx)
    italian = SPECS["multiloko_local.ita_Latn"].load(ctx)
    assert len(english) == len(italian) == 250
    assert len({i.item_key for i in english} | {i.item_key for i in italian}) == 500
    for item in (*english, *italian):
        assert item.question.strip() and item.fields["targets"] and item.fields["output_type"]
    # Two English items carry a blank gold answer: reported and dropped, not scored against.
    assert any(issubclass(w.category, data.EmptyGoldWarning) for w in caught)
    report = data.empty_gold_report(
        ctx, language="english", kind="local", content_language="english", normalization="v1"
    )
    assert report == ["040_melania_trump", "099_china"]
    assert all("" not in i.fields["targets"] for i in english)
    # The decrypted copy went to the (temporary) cache, not next to the archive.
    assert not (real_data / "multiloko" / "benchmark_data").exists()


def test_real_partial_copy_lacks_the_translations(real_data):
    with pytest.raises(DataError, match="dev_translated_human_english.jsonl"):
        SPECS["multiloko_italian_to_en_human.eng_Latn"].load(LoadContext(data_dir=real_data))


@pytest.mark.parametrize("name", ["multiloko_local.eng_Latn", "multiloko_local_norm2.ita_Latn"])
def test_real_items_reference_scores_full_marks(real_data, name):
    spec = SPECS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.EmptyGoldWarning)
        items = spec.load(LoadContext(data_dir=real_data))
    for item in items:
        assert spec.reference_response is not None
        scored = spec.score(spec.reference_response(item), item)
        assert (scored.score, scored.metrics["f1"]) == (1.0, 1.0), item.item_key
        prompt = spec.render(item, 0)
        assert item.question in prompt
        assert prompt.endswith(LANGUAGES[spec.render.keywords["language"]].answer_phrase)


# --- synthetic archive: every partition, several languages --------------------------------------

SYNTH_LANGUAGES = ("english", "italian", "japanese", "arabic")


def _rows(tag: str) -> str:
    rows = [
        {"id": f"q0{i}", "question": f"Synthetic question {i} ({tag})?",
         "targets": [f"answer {i} {tag}", f"alt {i}"], "target": "", "text": "",
         "output_type": "a name"}
        for i in (1, 2, 3)
    ]  # fmt: skip
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _synthetic_tree(languages: tuple[str, ...] = SYNTH_LANGUAGES) -> dict[str, str]:
    """benchmark_data/ with dev + translations for each language, all text self-written."""
    files = {}
    for name in languages:
        files[f"benchmark_data/{name}/dev.jsonl"] = _rows(f"{name} local")
        if name == "english":
            continue
        for who in ("human", "machine"):
            files[f"benchmark_data/{name}/dev_translated_{who}_english.jsonl"] = _rows(
                f"{name} to english {who}"
            )
            files[f"benchmark_data/english/dev_translated_{who}_{name}.jsonl"] = _rows(
                f"english to {name} {who}"
            )
    return files


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("multiloko_synthetic")
    (root / "multiloko").mkdir()
    blob = encrypt(tar_xz(_synthetic_tree()))
    (root / "multiloko" / "benchmark_data.tar.xz.enc").write_bytes(blob)
    return root


def test_unpacked_folder_is_read_as_is(tmp_path):
    for name, text in _synthetic_tree(("english", "italian")).items():
        path = tmp_path / "multiloko" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    items = SPECS["multiloko_italian_to_en_machine.eng_Latn"].load(LoadContext(data_dir=tmp_path))
    assert items[0].question == "Synthetic question 1 (italian to english machine)?"
    assert items[0].fields["targets"] == ("answer 1 italian to english machine", "alt 1")


def test_corrupt_rows_name_file_and_line(tmp_path):
    folder = tmp_path / "multiloko" / "benchmark_data" / "english"
    folder.mkdir(parents=True)
    good = json.dumps({"id": "a", "question": "Q?", "targets": ["x"], "output_type": "a name"})
    for bad, problem in [
        ("{not json", "not valid JSON"),
        (json.dumps({"id": "b", "question": "Q?", "targets": []}), "non-empty list"),
        (json.dumps({"id": "a", "question": "Q?", "targets": ["y"]}), "duplicate id"),
        (json.dumps({"id": "b", "question": "Q?", "targets": ["..."]}), "no gold answer"),
    ]:
        path = folder / "dev.jsonl"
        path.write_text(f"{good}\n{bad}\n", encoding="utf-8")
        data.read_file.cache_clear()
        data._usable_items.cache_clear()
        with pytest.raises(DataError, match=problem) as error:
            SPECS["multiloko_local.eng_Latn"].load(LoadContext(data_dir=tmp_path))
        assert f"{path}:2" in str(error.value)
    data.read_file.cache_clear()
    data._usable_items.cache_clear()


def test_fake_run_reports_mother_tongue_and_locality_effects(synthetic_data, tmp_path):
    db = tmp_path / "runs.duckdb"
    tasks = ["multiloko_local", "multiloko_from_en_human", "multiloko_from_en_machine"] + [
        f"multiloko_{name}_to_en_{who}"
        for name in SYNTH_LANGUAGES
        if name != "english"
        for who in ("human", "machine")
    ]
    languages = ["eng_Latn", "ita_Latn", "jpn_Jpan", "arb_Arab"]
    result = xbench.run(
        model="fake:accuracy=0.7", tasks=tasks, languages=languages,
        data_dir=synthetic_data, limit=3, db=db, progress=False,
    )  # fmt: skip
    report = xbench.report(result.run_id, db=db)
    mother = [r for r in report["mother_tongue_effect"] if r["benchmark"] == "multiloko"]
    locality = [r for r in report["locality_effect"] if r["benchmark"] == "multiloko"]
    for rows in (mother, locality):
        got = {(r["language"], r["translated_partition"], r["metric"]) for r in rows}
        assert got == {
            (code, partition, metric)
            for code in ("ita_Latn", "jpn_Jpan", "arb_Arab")
            for partition in ("human_translated", "machine_translated")
            for metric in ("exact_match", "f1")
        }
        assert all(r["delta"] is not None and r["family"] == "multiloko" for r in rows)
    [parity] = [
        r
        for r in report["parity"]
        if r["task"] == "multiloko_local" and r["metric"] == "exact_match"
    ]
    assert parity["n"] == 4
    assert parity["gap"] == pytest.approx(parity["best"] - parity["worst"])
    assert parity["pm"] is not None
    from xbench.report import effect_means

    means = effect_means([r for r in mother if r["metric"] == "exact_match"])
    assert set(means) == {
        ("multiloko", "multiloko", "human_translated", "exact_match"),
        ("multiloko", "multiloko", "machine_translated", "exact_match"),
    }  # one mean per metric, never across metrics


# --- normalisation and scoring --------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    NORMALIZATION_CASES,
    ids=[f"{i}-{c['language']}" for i, c in enumerate(NORMALIZATION_CASES)],
)
def test_normalization_case(case):
    assert normalize_v1(case["text"]) == case["v1"], case["note"]
    assert variants_v2(case["text"], case["language"]) == case["v2"], case["note"]


def test_normalization_cases_cover_several_scripts():
    scripts = {c["language"] for c in NORMALIZATION_CASES}
    assert {"english", "japanese", "arabic", "hindi", "russian", "farsi", "thai"} <= scripts


def test_em_and_f1_take_the_best_gold_answer():
    assert em_f1(["eiffel tower"], ["tower", "eiffel tower"]) == (1.0, 1.0)
    em, f1 = em_f1(["eiffel tower paris"], ["the tower", "eiffel tower"])
    assert em == 0.0 and f1 == pytest.approx(0.8)
    assert em_f1([], ["x"]) == (0.0, 0.0)


def _item(*targets: str) -> Item:
    return Item("k", "Q?", " | ".join(targets), MappingProxyType({"targets": targets}))


@pytest.mark.parametrize(
    ("name", "response", "extracted", "em", "f1"),
    [
        ("multiloko_local.eng_Latn", " Paris.", "Paris.", 1.0, 1.0),
        ("multiloko_local.eng_Latn", "I think so.\nThe answer is the Paris", "the Paris", 1.0, 1.0),
        ("multiloko_local.eng_Latn", "The answer is Paris. The answer is Lyon", "Lyon", 0.0, 0.0),
        (
            "multiloko_local.ita_Latn",
            "La risposta è Parigi, Francia",
            "Parigi, Francia",
            0.0,
            2 / 3,
        ),
        ("multiloko_local.jpn_Jpan", "答えは「パリ」", "「パリ」", 1.0, 1.0),
        ("multiloko_local.jpn_Jpan", "答えはパリです", "パリです", 0.0, 0.0),
        ("multiloko_local_norm2.jpn_Jpan", "答えはパリです", "パリです", 1.0, 1.0),
        ("multiloko_italian_to_en_human.eng_Latn", "\n\nParis\nmore", "Paris", 1.0, 1.0),
    ],
)
def test_scoring_case(name, response, extracted, em, f1):
    targets = {"ita_Latn": ("Parigi",), "jpn_Jpan": ("パリ",)}.get(SPECS[name].language, ("Paris",))
    scored = SPECS[name].score(response, _item(*targets))
    assert (scored.extracted, scored.score) == (extracted, em)
    assert scored.metrics["f1"] == pytest.approx(f1)


def test_extraction_after_the_last_marker_in_any_case():
    assert extract_answer("THE ANSWER IS Rome", "english") == "Rome"
    assert extract_answer("La risposta è Roma. The answer is Rome", "italian") == "Rome"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_reference_response_scores_full_marks(name):
    spec = SPECS[name]
    assert spec.reference_response is not None
    item = _item("Answer 1", "alt")
    assert spec.score(spec.reference_response(item), item).score == 1.0


# --- prompts ----------------------------------------------------------------------------------

# Self-written questions (not MultiLoKo items); not checked by native speakers.
QUESTIONS = {
    "english": ("In which city is the old stone bridge over the river?", "a name"),
    "italian": ("In quale città si trova il vecchio ponte di pietra sul fiume?", "un nome"),
    "japanese": ("川にかかる古い石橋はどの町にありますか？", "名前"),
    "arabic": ("في أي مدينة يقع الجسر الحجري القديم فوق النهر؟", "اسم"),
    "hindi": ("नदी पर बना पुराना पत्थर का पुल किस शहर में है?", "एक नाम"),
    "russian": ("В каком городе находится старый каменный мост через реку?", "название"),
    "farsi": ("پل سنگی قدیمی روی رودخانه در کدام شهر است؟", "یک نام"),
    "urdu": ("دریا پر پرانا پتھر کا پل کس شہر میں ہے؟", "ایک نام"),
}
GOLDEN_CASES = [(name, 0) for name in QUESTIONS] + [("english", 2), ("italian", 2)]


def _own_item(name: str) -> Item:
    question, output_type = QUESTIONS[name]
    return Item(
        "own-1", question, "x", MappingProxyType({"targets": ("x",), "output_type": output_type})
    )


def _spec_for(name: str) -> TaskSpec:
    return SPECS[f"multiloko_local.{LANGUAGES[name].code}"]


@pytest.mark.parametrize(("name", "k"), GOLDEN_CASES)
def test_golden_prompt(name, k):
    prompt = _spec_for(name).render(_own_item(name), k)
    path = GOLDEN / f"multiloko_local.{LANGUAGES[name].code}{f'.{k}shot' if k else ''}.txt"
    assert_golden(path, prompt)


def test_no_stale_golden_files():
    expected = {
        f"multiloko_local.{LANGUAGES[name].code}{f'.{k}shot' if k else ''}.txt"
        for name, k in GOLDEN_CASES
    }
    assert {p.name for p in GOLDEN.iterdir()} == expected


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_every_chat_prompt_ends_on_the_answer_phrase(name):
    item = Item("k", "Q?", "x", MappingProxyType({"targets": ("x",), "output_type": "T"}))
    spec = _spec_for(name)
    chat = spec.render(item, 0)
    assert chat.endswith(LANGUAGES[name].answer_phrase)
    assert "Q?" in chat
    five = spec.render(item, 5)
    assert "Q?" in five and not five.endswith("\n")
    with pytest.raises(ValueError, match="5 few-shot"):
        spec.render(item, 6)


# --- a real model -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.real_model
def test_smollm2_answers_real_items(real_data, tmp_path):
    db = tmp_path / "runs.duckdb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.EmptyGoldWarning)
        result = xbench.run(
            model="smollm2-135m", tasks=["multiloko_local"], languages=["en", "it"], limit=2,
            max_gen_toks=24, data_dir=real_data, db=db, progress=False,
        )  # fmt: skip
    report = xbench.report(result.run_id, db=db)
    units = {(r["task"], r["metric"]) for r in report["parity"]}
    assert {("multiloko_local", "exact_match"), ("multiloko_local", "f1")} <= units
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT language, response FROM samples WHERE run_id = ?", [result.run_id]
        ).fetchall()
    assert len(rows) == 4 and all(response and response.strip() for _, response in rows)


# --- answer markers followed by separators (every language) ------------------------------

SEPARATED = [
    "{m}:\n{a}", "{m}:\n\n  {a}", "{m}： {a}", "{m}:\r\n{a}\r\n", "**{m}:** {a}", "{m} **{a}**",
    "{m}:\n\n**{a}**", "Reasoning first.\n{m}:\n{a}\nMore text.", "{m}\u3000{a}", "{m}\n{a}",
]  # fmt: skip


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("layout", SEPARATED)
def test_answer_after_a_marker_colon_or_line_break(language, layout):
    """The later reference extracts the answer from "The answer is:\\nFriends"; a colon is
    never the answer, in any language, with the localized or the English marker."""
    answer = "Erik Cowie"
    for marker in (LANGUAGES[language].answer_phrase, "The answer is"):
        response = layout.format(m=marker.rstrip(":"), a=answer)
        assert extract_answer(response, language) == answer, (marker, response)
