"""Validation shared by every setting and command: errors that name what is wrong and what is
allowed, in one line."""

import argparse
import math


class SettingError(ValueError):
    """A setting outside what is allowed: `field` names it, `allowed` says what would do."""

    def __init__(self, field: str, value: object, allowed: str, where: str = ""):
        self.field, self.value, self.allowed, self.where = field, value, allowed, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{field} must be {allowed}, got {value!r}")


def is_number(value: object) -> bool:
    # bool is an int to Python, but `lr=True` is a mistake, not a learning rate.
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_finite(value: object) -> bool:
    return is_number(value) and math.isfinite(value)


class Parser(argparse.ArgumentParser):
    """argparse, but every error is one line on stderr (status 2), with no usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")

    def reject(self, extra: list[str]) -> None:
        """Refuse arguments parse_known_args() did not know, listing the options there are."""
        if extra:
            allowed = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
            self.error(f"unrecognized arguments: {' '.join(extra)} (allowed: {', '.join(allowed)})")
