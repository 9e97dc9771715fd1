"""Leaderboard page: transfer (being written)."""

import streamlit as st


def render() -> None:
    st.title("transfer")
