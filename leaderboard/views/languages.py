"""Leaderboard page: languages (being written)."""

import streamlit as st


def render() -> None:
    st.title("languages")
