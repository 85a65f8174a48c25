"""A job's figures as encoded files: the worker side of the asset build."""

import importlib

from sgd_lib.lesson.studies import statistics
from sgd_lib.lesson.training import summary
from sgd_lib.pictures.figures import Job
from sgd_lib.pictures.runs import Encoded, data_for, history, study
from sgd_lib.pictures.theme import THEMES


def resolve(name: str):
    """The function a figure names as "module:function"."""
    module, function = name.split(":")
    return getattr(importlib.import_module(module), function)


def render(job: Job) -> tuple[list[Encoded], dict | None]:
    """The job's files, in the order of job.files(), and its results: an experiment's
    summary and statistics, or the named numbers a shared figure computes."""
    figure = job.spec
    draw = resolve(figure.render)
    out: list[Encoded] = []
    for theme in THEMES:
        out += draw(job, theme, figure.titled())
    if figure.per_run:
        e = job.runs[0]
        return out, summary(history(e), data_for(e.data)) | statistics(study(e))
    return out, resolve(figure.facts)(job) if figure.facts else None
