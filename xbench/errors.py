"""Errors that reach the user as one line saying what to do."""


class XbenchError(Exception):
    """A problem with the user's input or environment. The CLI prints `error: <message>` and
    exits 2; the message itself must say what to do."""


class RunFailed(XbenchError):
    """The model (or scorer) raised mid-run. The run is stored as failed with this cause;
    every task-language unit committed before it is kept."""
