"""The output directory: the one place the asset build writes, and only under names it makes.

Every path here is `out / name` with `name` a plain file name of the build's own grammar
(`is_ours`): figure files, the manifest, and their temporary names. A name read from a
manifest is data; it is checked against the grammar before anything is done with it, and a
file is deleted only if it is a regular file whose bytes are the ones the manifest recorded.
"""

import fcntl
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

MANIFEST = "manifest.json"
# Everything the build names: SLUG-KIND-THEME.EXT (or NAME-THEME.EXT), slugs like lr0.1-bs16.
FIGURE_NAME = re.compile(r"[a-z0-9][a-z0-9.+-]{0,150}-(light|dark)\.(gif|png)", re.ASCII)
TMP_NAME = re.compile(r"\.(?P<name>.+)\.[0-9]+-[0-9a-f]{8}\.tmp", re.ASCII)
READ_LIMIT = 64 * 2**20  # no file of ours is near this; a bigger one is not ours


class Busy(Exception):
    """Another build holds the output directory."""


def is_ours(name: str) -> bool:
    """Whether `name` is one the build makes: a figure, or the manifest."""
    return name == MANIFEST or FIGURE_NAME.fullmatch(name) is not None


@contextmanager
def locked(out: Path, wait: bool = True, on_wait: Callable[[], None] | None = None) -> Iterator:
    """Hold `out` for one build. The lock is on the directory itself: no lock file appears
    in it (`mkdocs serve` would see one), and it is released when the process dies."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise Busy(str(out)) from None
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_regular(path: Path, limit: int = READ_LIMIT) -> bytes | None:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; else None.
    Never follows a symlink and never blocks on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(limit + 1)


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


class Disk:
    """The sha256 of each of our files in `out`, read at most once per build."""

    def __init__(self, out: Path):
        self.out, self._sha = out, {}

    def sha(self, name: str) -> str | None:
        if not is_ours(name):
            return None
        if name not in self._sha:
            payload = read_regular(self.out / name)
            self._sha[name] = None if payload is None else digest(payload)
        return self._sha[name]

    def write(self, name: str, payload: bytes) -> None:
        assert is_ours(name), name  # the build's own names only: a bug otherwise
        self._sha.pop(name, None)  # if the write fails, what is there is read again
        write_atomic(self.out / name, payload)
        self._sha[name] = digest(payload)

    def remove(self, name: str, sha: str) -> bool:
        """Delete our file `name` if it still holds the bytes whose hash is `sha`."""
        if self.sha(name) != sha:
            return False
        (self.out / name).unlink(missing_ok=True)
        self._sha[name] = None
        return True


def write_atomic(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` so that `path` is never seen half-written. On failure no
    temporary file is left, and the OSError names `path` (not the temporary name)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL and O_NOFOLLOW: never write through a file or link someone left there.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise


def remove_leftovers(out: Path) -> list[str]:
    """Temporary files of a build that was killed before it could rename them. Call only
    while holding the lock: another build's temporary files are not leftovers."""
    removed = []
    for entry in os.scandir(out):
        match = TMP_NAME.fullmatch(entry.name)
        if match and is_ours(match["name"]) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed.append(entry.name)
            except FileNotFoundError:
                pass
    return removed
