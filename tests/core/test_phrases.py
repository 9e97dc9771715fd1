"""The shared per-language phrase table, and that the plugins read it instead of own copies."""

import pytest

from xbench.phrases import TABLE, phrases
from xbench_tasks.mgsm.prompts import LANGUAGES as MGSM
from xbench_tasks.multiloko.prompts import LANGUAGES as MULTILOKO


def test_any_code_form_finds_a_languages_phrases():
    german = phrases("de")
    assert phrases("deu") == phrases("deu_Latn") == german
    assert german.answer_markers == ("Die Antwort lautet", "Die Antwort ist")
    with pytest.raises(KeyError, match="no phrases for 'xx'"):
        phrases("xx")


def test_every_code_is_canonical():
    from xbench import languages

    assert all(languages.parse(code) == code for code in TABLE)


@pytest.mark.parametrize("short", sorted(MGSM))
def test_mgsm_reads_the_table(short):
    words, shared = MGSM[short], phrases(short)
    assert (words.answer_word, words.answer_phrases) == (shared.answer, shared.answer_markers)


@pytest.mark.parametrize("name", sorted(MULTILOKO))
def test_multiloko_reads_the_table(name):
    language = MULTILOKO[name]
    assert language.answer_phrase == phrases(language.code).answer_is
