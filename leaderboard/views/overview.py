"""Leaderboard page: overview (being written)."""

import streamlit as st


def render() -> None:
    st.title("overview")
