"""Worker processes for the asset build, which live exactly as long as the build.

Each worker takes one task at a time over its own pipe and sends back the result; it writes
nothing itself (the build does). Workers ignore Ctrl-C (the build decides when to stop and
kills them), and die when the build's process dies, however it dies.
"""

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import connection, get_context

from sgd_lib.checks import signals_held

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class WorkerDied(RuntimeError):
    """A worker ended without answering (killed by the system, out of memory, ...), or the
    system failed it: its message is one line, naming the task and the reason."""


def system_failure(e: BaseException) -> str | None:
    """The system's reason for `e` in a few words, if the system caused it (memory, files);
    None for anything else, which is a bug and keeps its traceback."""
    if isinstance(e, MemoryError) or (isinstance(e, RuntimeError)  # torch's allocators'
                                      and ("can't allocate memory" in str(e)
                                           or "out of memory" in str(e))):  # fmt: skip
        return "out of memory"
    if isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        return " ".join((where + (e.strerror or str(e))).split())  # one line
    return None


def _die_with(parent: int) -> None:
    """End this process as soon as `parent` is gone: at once on Linux (the kernel sends
    SIGKILL), and within half a second anywhere (a thread that watches)."""
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:  # it died before we could ask to be told
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _serve(conn, parent: int, work: Callable) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _die_with(parent)
    for task in iter(conn.recv, None):
        try:
            conn.send((True, work(task)))
        except Exception as e:
            conn.send((False, (system_failure(e), traceback.format_exc())))


def _start(ctx, work: Callable):
    here, there = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(there, os.getpid(), work), daemon=True)
    # Held here, SIGINT and SIGTERM stay blocked in the new process until it has set its
    # own handlers: a Ctrl-C during its start cannot print a traceback from it.
    with signals_held():
        process.start()
    there.close()  # ours is the other end: a dead worker's pipe then reads as closed
    return process, here


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit status {exitcode}"


def run_parallel(
    work: Callable, tasks: Iterable, n: int, label: Callable[[object], str] = str
) -> Iterator:
    """Yield `work(task)` for every task, in the order they finish, from `n` processes
    (spawned: they start clean and import once). Whatever ends the iteration (the last
    result, an error, Ctrl-C, the consumer stopping) kills every worker before it returns.
    A worker that dies raises WorkerDied, naming the task by `label(task)`."""
    todo = list(tasks)[::-1]  # popped from the end: the given order
    ctx = get_context("spawn")
    workers = []
    try:
        for _ in range(min(n, len(todo))):
            workers.append(_start(ctx, work))
        busy = {}  # a worker's pipe -> (its process, its task)
        for process, conn in workers:
            busy[conn] = (process, todo.pop())
            conn.send(busy[conn][1])
        while busy:
            for conn in connection.wait(list(busy)):
                process, task = busy.pop(conn)
                try:
                    ok, value = conn.recv()
                except EOFError:
                    process.join(1)
                    raise WorkerDied(
                        f"a worker died ({_how(process.exitcode)}) on {label(task)}"
                    ) from None
                if not ok:
                    reason, trace = value
                    if reason:
                        raise WorkerDied(f"{reason}, rendering {label(task)}")
                    raise RuntimeError(f"a worker failed on {label(task)}:\n{trace}")
                if todo:
                    busy[conn] = (process, todo.pop())
                    conn.send(busy[conn][1])
                yield value
    finally:
        for process, conn in workers:
            # No need to ask politely: a worker holds nothing worth keeping.
            process.kill()
            conn.close()
        for process, _ in workers:
            process.join()
