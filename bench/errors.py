"""Error types the CLI maps to exit codes: bad input is one line and exit 2, a failed check exit 1."""


class BenchError(Exception):
    """Bad input (file, value, dataset, name). The message is shown as one line; exit code 2."""

    exit_code = 2


class CheckFailed(Exception):
    """A verdict failed; exit code 1."""

    exit_code = 1


class TrainingDiverged(Exception):
    """The loss became NaN/inf; the run is recorded as failed, not counted as a result."""
