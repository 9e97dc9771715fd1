"""Transfer predicted from typology: URIEL distances through lang2vec, the regression with its
leave-one-language-out error worked by hand, and `xbench typology` on a stored run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import xbench
from xbench import cli
from xbench.analyses.typology import _lang2vec, distances, fit
from xbench.errors import XbenchError
from xbench.store import Store


def test_fit_by_hand_with_its_leave_one_out_error():
    # (distance, ratio): (0, 1), (1, 0), (2, 0.5). Least squares: slope -0.25, intercept 0.75,
    # fitted 0.75 / 0.5 / 0.25, SSE 0.375, SST 0.5, R² 0.25. Leaving each point out, the line
    # through the other two predicts -0.5, 0.75, -1.0: errors 1.5, 0.75, 1.5 (MAE 1.25), SSE
    # 5.0625, R²_LOO 1 - 5.0625 / 0.5 = -9.125.
    ratios = {"eng_Latn": 1.0, "deu_Latn": 1.0, "fra_Latn": 0.0, "tha_Thai": 0.5}
    dist = {"deu_Latn": {"genetic": 0.0}, "fra_Latn": {"genetic": 1.0},
            "tha_Thai": {"genetic": 2.0}, "yor_Latn": {"genetic": 4.0}}  # fmt: skip
    result = fit(ratios, dist, ["genetic"], predict=["yor_Latn"])
    assert result.intercept == pytest.approx(0.75)
    assert result.coefficients == {"genetic": pytest.approx(-0.25)}
    assert result.r2 == pytest.approx(0.25) and result.n_languages == 3
    assert result.loo_mae == pytest.approx(1.25) and result.loo_r2 == pytest.approx(-9.125)
    rows = {r["language"]: r for r in result.languages}
    assert [rows[c]["held_out"] for c in ("deu_Latn", "fra_Latn", "tha_Thai")] == pytest.approx(
        [-0.5, 0.75, -1.0]
    )
    yor = rows["yor_Latn"]  # not evaluated: a prediction only, 0.75 - 0.25 * 4
    assert yor["predicted"] and yor["observed"] is None and yor["fitted"] == pytest.approx(-0.25)


def test_a_fit_needs_more_languages_than_distances():
    with pytest.raises(XbenchError, match="needs 4 or more languages scored beside English, not 3"):
        fit({"eng_Latn": 1, "deu_Latn": 1, "fra_Latn": 0.5, "tha_Thai": 0.2},
            {c: {"genetic": 0.1, "syntactic": 0.2} for c in ("deu_Latn", "fra_Latn", "tha_Thai")},
            ["genetic", "syntactic"])  # fmt: skip


def test_uriel_distances_are_cosine_distances_of_lang2vec_features():
    got = distances(["deu_Latn", "tha_Thai", "zho_Hans"])
    l2v = _lang2vec()
    features = l2v.get_features(["eng", "deu"], "syntax_knn")
    a, b = (np.array(features[c], dtype=float) for c in ("deu", "eng"))
    assert got["deu_Latn"]["syntactic"] == pytest.approx(
        1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    )
    # German shares Indo-European / Germanic nodes with English; Thai shares none
    assert got["deu_Latn"]["genetic"] < got["tha_Thai"]["genetic"]
    assert set(got["zho_Hans"]) == {"syntactic", "phonological", "inventory", "featural",
                                    "genetic", "geographic"}  # Mandarin (cmn) in URIEL  # fmt: skip
    with pytest.raises(XbenchError, match="URIEL \\(lang2vec\\) has no features for qqq_Latn"):
        distances(["qqq_Latn"])
    with pytest.raises(XbenchError, match="unknown distance 'lexical'"):
        distances(["deu_Latn"], ["lexical"])


@pytest.fixture(scope="module")
def scored_db(tmp_path_factory, shared_data):
    db = tmp_path_factory.mktemp("typology") / "x.duckdb"
    xbench.run(model="fake:accuracy=0.6", model_name="fake-a", tasks=["mgsm_direct"], limit=25,
               data_dir=shared_data, db=db, progress=False)  # fmt: skip
    return db


def test_cli_fits_stores_and_predicts(scored_db, capsys):
    args = ["typology", "--model", "fake-a", "--predict", "yo,am", "--db", str(scored_db)]
    assert cli.main([*args, "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert (result["task"], result["metric"], result["distances"]) == (
        "mgsm_direct", "accuracy", ["syntactic", "genetic", "geographic"])  # fmt: skip
    # the same least squares, from the stored scores and lang2vec's distances
    with Store(scored_db).connect() as con:
        values = dict(con.execute(
            "SELECT language, value FROM latest_units WHERE model = 'fake-a' AND primary_metric"
        ).fetchall())  # fmt: skip
    others = sorted(c for c in values if c != "eng_Latn")
    dist = distances(others)
    x = np.array([[1.0, *(dist[c][k] for k in result["distances"])] for c in others])
    y = np.array([values[c] / values["eng_Latn"] for c in others])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    assert result["intercept"] == pytest.approx(beta[0])
    assert list(result["coefficients"].values()) == pytest.approx(list(beta[1:]))
    assert result["n_languages"] == len(others) == 10
    rows = {r["language"]: r for r in result["languages"]}
    assert rows["yor_Latn"]["predicted"] and rows["amh_Ethi"]["observed"] is None
    assert rows["deu_Latn"]["observed"] == pytest.approx(values["deu_Latn"] / values["eng_Latn"])

    fits, languages = Store(scored_db).typology(["fake-a"])
    assert (
        len(fits) == 1
        and len(languages) == 12
        and fits[0]["distances"] == "syntactic,genetic,geographic"
    )
    assert cli.main(args) == 0  # fitted again: replaced, not added
    assert "leave-one-language-out MAE" in capsys.readouterr().out
    assert len(Store(scored_db).typology(["fake-a"])[1]) == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nobody"], "model 'nobody' has no result with an English score"),
        (["--model", "fake-a", "--tasks", "tucan"], "fake-a has no fittable result for tucan"),
        (["--model", "fake-a", "--distances", "lexical"], "unknown distance 'lexical'"),
        (["--model", "fake-a", "--predict", "notalanguage"], "unknown language 'notalanguage'"),
    ],
)
def test_cli_errors_are_one_line(args, message, scored_db, capsys):
    assert cli.main(["typology", *args, "--no-store", "--db", str(scored_db)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_report_has_the_fit_the_predictions_and_the_routing_correlation(scored_db, capsys):
    from scipy.stats import spearmanr

    from xbench.analyses.routing import LayerDivergence

    assert (
        cli.main(["typology", "--model", "fake-a", "--predict", "yo", "--db", str(scored_db)]) == 0
    )
    divergence = {"deu_Latn": 0.05, "fra_Latn": 0.04, "tha_Thai": 0.30, "swh_Latn": 0.20}
    Store(scored_db).save_routing("fake-a", "org/moe", "ntrex128",
                                  [LayerDivergence(c, 0, d, 50, 8) for c, d in divergence.items()])  # fmt: skip
    capsys.readouterr()
    rep = xbench.report("fake-a", db=scored_db)
    assert [f["task"] for f in rep["typology"]] == ["mgsm_direct"]
    assert [r["language"] for r in rep["typology_languages"] if r["predicted"]] == ["yor_Latn"]
    [row] = rep["routing_correlation"]
    scores = {r["language"]: r["value"] for r in rep["transfer"] if r["metric"] == "accuracy"}
    expected = spearmanr(list(divergence.values()), [scores[c] for c in divergence]).statistic
    assert (row["task"], row["layer"], row["n_languages"]) == ("mgsm_direct", 0, 4)
    assert row["rho"] == pytest.approx(expected)
    assert cli.main(["report", "fake-a", "--db", str(scored_db)]) == 0
    text = capsys.readouterr().out
    assert "Transfer predicted from typology" in text and "Predicted transfer ratios" in text
    assert "Routing divergence vs score" in text
    html = scored_db.parent / "r.html"
    assert cli.main(["report", "--html", str(html), "--db", str(scored_db)]) == 0
    page = html.read_text()
    assert "MoE routing alignment with English" in page and "<td>predicted</td>" in page
