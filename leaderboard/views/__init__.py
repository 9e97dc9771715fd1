"""One module per leaderboard page; each has `render()`."""
