"""Leaderboard page: fidelity (being written)."""

import streamlit as st


def render() -> None:
    st.title("fidelity")
