"""Leaderboard page: parity (being written)."""

import streamlit as st


def render() -> None:
    st.title("parity")
