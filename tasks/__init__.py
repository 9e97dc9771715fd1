"""xbench's built-in benchmarks, each a plugin written against the public API (`xbench.spec`)."""
