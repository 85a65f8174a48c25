"""The output directory: the one place the asset build writes, and only under names it makes.

The directory is opened once, locked, and every file in it is reached through that open
directory (the `dir_fd` calls): if `--out` is moved or replaced by a link mid-build, the build
goes on writing into the directory it locked, never into wherever the name now leads. Every
name is a plain file name of the build's own shape (`FIGURE_NAME`, the manifest, and their
temporary names); a file is read only if it is a regular file (no link is followed, no FIFO
blocks), and deleted only if it still holds the bytes the caller says the build wrote.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

MANIFEST = "manifest.json"
SANDBOX = "sandbox.json"  # what the sandbox's JavaScript reads: sgd_lib.site.sandbox_export
# The shape of every figure's name: SLUG-KIND-THEME.EXT or NAME-THEME.EXT, e.g. lr0.1-bs16-fit-
# light.gif (a comma: Adam's betas in a slug). A name of another shape is never the build's,
# whatever a manifest says.
FIGURE_NAME = re.compile(r"[a-z0-9][a-z0-9.,+-]{0,150}-(light|dark)\.(gif|png)", re.ASCII)
TMP_NAME = re.compile(r"\.(?P<name>.+)\.[0-9]+-[0-9a-f]{8}\.tmp", re.ASCII)
READ_LIMIT = 64 * 2**20  # no file of ours is near this; a bigger one is not ours


class Busy(Exception):
    """Another build holds the output directory."""


def is_ours(name: str) -> bool:
    """Whether `name` has the shape of a name the build makes: a figure, the manifest or the
    sandbox's export."""
    return name in (MANIFEST, SANDBOX) or FIGURE_NAME.fullmatch(name) is not None


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _tmp_name(name: str) -> str:
    return f".{name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _failure(e: OSError, path: Path) -> OSError:
    """The same failure, naming `path` (not a temporary name) for the one line a user sees."""
    return OSError(e.errno, e.strerror, str(path))


class OutDir:
    """An output directory, opened and locked for one build."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd, self._sha = path, fd, {}

    @classmethod
    @contextlib.contextmanager
    def locked(
        cls, path: Path, wait: bool = True, on_wait: Callable[[], None] | None = None
    ) -> Iterator["OutDir"]:
        """Hold `path` for one build. The lock is on the directory itself: no lock file
        appears in it (`mkdocs serve` would see one), and it ends when the process does.
        Another build waits (`on_wait` is called once), or with wait=False raises Busy."""
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise Busy(str(path)) from None
                if on_wait:
                    on_wait()
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield cls(path, fd)
        finally:
            os.close(fd)

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            return True
        except FileNotFoundError:
            return False

    def read(self, name: str) -> bytes | None:
        """The bytes of `name` if it is a regular file of a sane size; else None."""
        return read_regular(name, self.fd)

    def sha(self, name: str) -> str | None:
        """The sha256 of our file `name`, read at most once per build; None if it is not a
        regular file of ours."""
        if not is_ours(name):
            return None
        if name not in self._sha:
            payload = self.read(name)
            self._sha[name] = None if payload is None else digest(payload)
        return self._sha[name]

    def write(self, name: str, payload: bytes) -> None:
        """Write `name` so that it is never seen half-written. On failure no temporary file
        is left, and the OSError names the file's path."""
        assert is_ours(name), name  # the build's own names only: a bug otherwise
        self._sha.pop(name, None)  # whatever happens, what is there is read again
        tmp = _tmp_name(name)
        try:
            # O_EXCL and O_NOFOLLOW: never write through a file or link someone left there.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            fd = os.open(tmp, flags, 0o666, dir_fd=self.fd)
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException as e:  # Ctrl-C included: it can land anywhere in here
            if not isinstance(e, FileExistsError):  # else the name was never ours
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=self.fd)
            if isinstance(e, OSError):
                raise _failure(e, self.path / name) from None
            raise
        self._sha[name] = digest(payload)

    def remove(self, name: str, sha: str) -> bool:
        """Delete our file `name` if it is a regular file holding the bytes hashed `sha`."""
        self._sha.pop(name, None)  # read again, just before: it may have changed meanwhile
        if self.sha(name) != sha:
            return False
        self._sha.pop(name)  # whatever happens, what is there is read again
        try:
            os.unlink(name, dir_fd=self.fd)
        except OSError as e:
            raise _failure(e, self.path / name) from None
        self._sha[name] = None
        return True

    def remove_leftovers(self) -> None:
        """Temporary files of a build that was killed before it could rename them. Only while
        holding the lock: another build's temporary files are not leftovers."""
        with os.scandir(self.fd) as entries:
            for entry in entries:
                match = TMP_NAME.fullmatch(entry.name)
                if match and is_ours(match["name"]) and entry.is_file(follow_symlinks=False):
                    try:
                        os.unlink(entry.name, dir_fd=self.fd)
                    except FileNotFoundError:
                        pass
                    except OSError as e:
                        raise _failure(e, self.path / entry.name) from None


def read_regular(path: Path | str, dir_fd: int | None = None) -> bytes | None:
    """The bytes of `path` if it is a regular file of at most READ_LIMIT bytes; else None.
    Never follows a link and never blocks on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > READ_LIMIT:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(info.st_size + 1)  # what is there (asking for READ_LIMIT allocates it)


def check_writable(path: Path) -> None:
    """Raise the OSError that writing a file into `path` meets, if any. The probe has a
    temporary name of the build's own, and is gone before this returns."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        name = _tmp_name(MANIFEST)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        try:
            os.close(os.open(name, flags, 0o666, dir_fd=fd))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)
