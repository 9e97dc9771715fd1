"""A malformed plugin: it forgot register_tasks."""

TASKS = []
