"""docs/store.md documents every table and view of a fresh store, column by column: a column
added without documentation (or documented but gone) fails here."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from xbench.store import Store

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"


def _documented() -> tuple[dict[str, tuple[str, list[str]]], dict[str, str]]:
    """{name: (kind, columns)} from the sections, and the column glossary."""
    text = DOC.read_text(encoding="utf-8")
    sections: dict[str, tuple[str, list[str]]] = {}
    for name, kind, body in re.findall(r"^### (\w+) \((table|view)\)\n(.*?)(?=^##|\Z)", text,
                                       flags=re.M | re.S):  # fmt: skip
        [columns] = re.findall(r"^Columns: (.+)$", body, flags=re.M)
        same = re.fullmatch(r"same as (\w+)", columns.strip())
        listed = sections[same[1]][1] if same else [c.strip() for c in columns.split(",")]
        sections[name] = (kind, listed)
    glossary = dict(re.findall(r"^\| ([\w.]+) \| (.+) \|$", text, flags=re.M))
    glossary.pop("column", None)  # the header row
    return sections, glossary


def test_every_table_and_view_column_is_documented(tmp_path):
    db = tmp_path / "x.duckdb"
    Store(db)
    with duckdb.connect(str(db), read_only=True) as con:
        actual = {
            name: ("table" if kind == "BASE TABLE" else "view", [
                c for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position", [name]).fetchall()
            ])
            for name, kind in con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'main'").fetchall()
        }  # fmt: skip
    sections, glossary = _documented()
    assert set(sections) == set(actual), "tables/views documented vs in a fresh store"
    for name, (kind, columns) in actual.items():
        assert sections[name] == (kind, columns), f"{name}: the documented columns differ"
        for column in columns:
            assert f"{name}.{column}" in glossary or column in glossary, f"{name}.{column}"
    used = {c for _, cols in actual.values() for c in cols}
    stale = {c for c in glossary if c.split(".")[-1] not in used}
    assert not stale, f"documented columns that no table or view has: {stale}"
