"""Validation shared by every setting: one error type that names the setting and what is allowed."""

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
