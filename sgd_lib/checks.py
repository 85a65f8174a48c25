"""Validation shared by every setting and command: errors that name what is wrong and what is
allowed, in one line; and how a command ends, whatever ends it."""

import argparse
import contextlib
import errno
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator

# A number on the command line is a plain decimal or scientific literal: no "0_1", no
# full-width digits, no "nan" or "inf" (float() takes all of these).
_UNSIGNED = r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
DECIMAL = re.compile(rf"[+-]?{_UNSIGNED}", re.ASCII)
# What argparse may take for an option's value although it starts with "-". Its own pattern
# knows only plain decimals, so "--x-shift -5e1" was "expected one argument".
NEGATIVE = re.compile(rf"-{_UNSIGNED}\Z", re.ASCII)
WHOLE = re.compile(r"[+-]?\d+", re.ASCII)
STDOUT = "standard output"  # how an error names it


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


def number(text: str) -> float | str:
    """A float if `text` is a decimal literal; else the text, for a setting to reject."""
    return float(text) if DECIMAL.fullmatch(text) else text


def whole(text: str) -> int | str:
    """An int if `text` is a whole-number literal; else the text, for a setting to reject."""
    if WHOLE.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than int() reads (4300): too big for any setting
            pass
    return text


class Parser(argparse.ArgumentParser):
    """argparse, but every error is one line on stderr (status 2), with no usage block; an
    option is spelled out in full and given at most once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)
        self._negative_number_matcher = NEGATIVE  # argparse's hook (it has no public one)

    def print_help(self, file=None):
        # argparse drops a failed write of its help (exit status 0, the help lost): the help
        # is the output asked for, so a full or closed stdout fails as the result would, in
        # run_command (one line, status 1).
        file = file or sys.stdout
        if file is None:  # started with stdout closed (`>&-`)
            raise OSError(errno.EBADF, "closed; nowhere to write the help", STDOUT)
        file.write(self.format_help())
        file.flush()

    def error(self, message: str):
        # argparse's own messages ("argument --betas: expected 2 arguments") name the option
        # but not what it takes: its help says that.
        found = re.match(r"argument (--[\w-]+)(?:/\S+)?: expected", message)
        action = found and self._option_string_actions.get(found[1])
        if action and action.help:
            message += f" ({found[1]}: {action.help})"
        self.exit(2, f"{self.prog}: error: {message}\n")

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        seen = set()
        for token in args:
            if token == "--":
                break
            action = self._option_string_actions.get(token.split("=", 1)[0])
            if action is not None:
                if action.dest in seen:  # argparse would keep the last one, silently
                    self.error(f"{token.split('=', 1)[0]} is given twice; give it once")
                seen.add(action.dest)
        return super().parse_known_args(args, namespace)

    def reject(self, extra: list[str]) -> None:
        """Refuse arguments parse_known_args() did not know, listing the options there are."""
        if extra:
            allowed = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
            self.error(f"unrecognized arguments: {' '.join(extra)} (allowed: {', '.join(allowed)})")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while this runs, and deliver them after. Around loading
    torch: a KeyboardInterrupt raised inside its start-up can be swallowed there, or make
    Python kill itself on the way out, whatever the program did with it."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Stopped(BaseException):
    """SIGTERM, raised where the program is, so that it cleans up as for Ctrl-C."""


def _stop(signum, frame):
    raise KeyboardInterrupt if signum == signal.SIGINT else Stopped


class _Named:
    """A stream whose failures name it ("standard output: No space left on device"): an
    OSError from a write or a flush carries no file name of its own."""

    def __init__(self, stream, name: str):
        self._stream, self._name = stream, name

    def _call(self, method: str, *args):
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OSError(e.errno, e.strerror, self._name) from None

    def write(self, text: str) -> int:
        return self._call("write", text)

    def flush(self) -> None:
        return self._call("flush")

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _drop_stdout() -> None:
    """Send what stdout still holds to /dev/null: Python flushes it again on the way out, and
    a second failure there would be a second message and status 120."""
    if sys.stdout is not None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run_command(prog: str, main: Callable[[], int]) -> int:
    """Run a command's `main` as Unix tools end: Ctrl-C or SIGTERM stops it with one line
    (status 130 or 143), a closed pipe ends it quietly, and a failure of the system (disk
    full, permission lost) is one line naming the path and the reason (status 1)."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    stdout = sys.stdout
    if stdout is not None:  # None when started with stdout closed
        sys.stdout = _Named(stdout, STDOUT)
    for s, handler in before.items():
        if handler is not signal.SIG_IGN:  # what started us may have asked us to ignore it
            signal.signal(s, _stop)
    try:
        status = main()
        if sys.stdout:  # None when started with stdout closed
            sys.stdout.flush()  # here, where a closed pipe can still be caught
        return status
    except (KeyboardInterrupt, Stopped) as e:
        # Stopped and cleaned up: a second Ctrl-C on the way out would only print a traceback.
        for s in before:
            signal.signal(s, signal.SIG_IGN)
        before.clear()
        name = "SIGINT" if isinstance(e, KeyboardInterrupt) else "SIGTERM"
        print(f"{prog}: interrupted ({name})", file=sys.stderr)
        return 128 + (signal.SIGINT if name == "SIGINT" else signal.SIGTERM)
    except BrokenPipeError:
        # The reader has gone (`| head`): say nothing, and let nothing more be written.
        _drop_stdout()
        return 128 + signal.SIGPIPE
    except OSError as e:
        if e.filename == STDOUT:
            _drop_stdout()
        reason = e.strerror or str(e)
        where = f"{e.filename}: " if e.filename else ""
        print(f"{prog}: error: {where}{reason}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout
        for s, handler in before.items():
            signal.signal(s, handler)
