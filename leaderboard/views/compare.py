"""Leaderboard page: compare (being written)."""

import streamlit as st


def render() -> None:
    st.title("compare")
