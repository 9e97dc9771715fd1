"""Leaderboard page: runs (being written)."""

import streamlit as st


def render() -> None:
    st.title("runs")
