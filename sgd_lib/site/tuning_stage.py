"""The asset build's first stage: the tuning protocol's grids, trained only when the protocol
or the code changed (else the last manifest's record is reused), and the runs they pick added
to the table before the figures are planned."""

import dataclasses
import hashlib
import json

from sgd_lib.checks import SettingError, signals_held
from sgd_lib.lesson.protocols import GRIDS, LRS, Protocol, with_picked


def protocol_key(p: Protocol, code: str) -> str:
    """A hash of everything that decides the protocol's record: its settings, the grids, and
    the code (sgd_lib.site.freshness.code_version)."""
    settings = {"protocol": dataclasses.asdict(p), "grids": GRIDS, "lrs": LRS, "code": code}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def tune(protocols: tuple[Protocol, ...], known: dict, code: str) -> dict:
    """Each protocol's record: the last build's, if its key still holds, else trained now."""
    out = {}
    for p in protocols:
        key = protocol_key(p, code)
        entry = known.get(p.name)
        if not (isinstance(entry, dict) and entry.get("key") == key and _usable(p, entry)):
            with signals_held():  # torch, only when there is work; Ctrl-C after its start-up
                import torch

                from sgd_lib.lesson.tuning import record

            # One thread, as the figure workers: the batched grids are small tensors, and a
            # second thread wins a second on an idle machine (4.7 s against 5.9 s for every
            # protocol) but fights any neighbour for the cores (over 100 s beside a second
            # build). The numbers are the same with either.
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                entry = {"key": key, **record(_data(p), p)}
            finally:
                torch.set_num_threads(threads)
        out[p.name] = entry
    return out


def _data(p: Protocol):
    from sgd_lib.lesson.data import make_data

    return make_data(p.data)


def _usable(p: Protocol, entry: dict) -> bool:
    """Whether a manifest's record (data, never trusted) names a run for every method."""
    try:
        with_picked((), {p.name: entry})
    except (KeyError, TypeError, IndexError, ValueError, AttributeError, SettingError):
        return False
    return True
