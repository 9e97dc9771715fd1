"""The xbench leaderboard (Streamlit). It reads the store `xbench run` writes and never writes."""
