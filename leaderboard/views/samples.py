"""Leaderboard page: samples (being written)."""

import streamlit as st


def render() -> None:
    st.title("samples")
