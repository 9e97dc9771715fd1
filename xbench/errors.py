"""Errors that reach the user as one line saying what to do."""


class XbenchError(Exception):
    """A problem with the user's input or environment. The CLI prints `error: <message>` and
    exits 2; the message itself must say what to do."""


class RunFailed(XbenchError):
    """The model (or scorer) raised mid-run. The run is stored as failed with this cause;
    every task-language unit committed before it is kept."""


def cause(exc: BaseException, *, limit: int = 300, with_type: bool = True) -> str:
    """An exception as one line for a message: `Type: message` (or the message alone), at
    most `limit` characters (a message may quote a whole model response); sys.exit() as
    "it called sys.exit(N)"."""
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"
    text = " ".join(str(exc).split())
    if with_type or not text:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
