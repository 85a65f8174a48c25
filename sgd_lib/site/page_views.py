"""The pages' views of the whole table: the results, the explorer and every run at once."""

import html
import json

from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.site.page_data import (
    Manifest,
    alt_text,
    data_words,
    describe,
    is_class_grid_run,
    is_lesson_run,
    optimizer_words,
    schedule_words,
)
from sgd_lib.site.page_figures import (
    figure,
    json_attr,
    player_bar,
    player_config,
    run_animation,
    sandbox_href,
    themed_picture,
)
from sgd_lib.site.sandbox_export import data_key


def evaluations(run: dict) -> str:
    """Gradient evaluations, and the Hessians besides, if the optimizer took any: "100 + 100
    Hessians"."""
    hessians = run["hessian_evaluations"]
    extra = f" + {hessians} Hessian{'s' * (hessians != 1)}" if hessians else ""
    return f"{run['gradient_evaluations']}{extra}"


def results_table(m: Manifest) -> str:
    """Every experiment's outcome, as a Markdown table."""
    header = ("run", "optimizer", "data", "lr", "batch", "seed", "updates", "gradient evaluations",
              "slope", "intercept", "loss", "distance", "diverged", "seeds", "median loss",
              "diverged of seeds")  # fmt: skip
    rows = [
        "| " + " | ".join(header) + " |",
        "| --- " * 3 + "| ---: " * 9 + "| --- " + "| ---: " * 3 + "|",
    ]
    for slug in m.table:
        r = m.run(slug)
        # Raw HTML: the fragment is the explorer's state, not an anchor for MkDocs to check.
        link = f'<a href="explorer.html#{html.escape(explorer_hash(r))}">{slug}</a>'
        bs = "all" if r["batch_size"] is None else r["batch_size"]
        slope, intercept = r["params"]
        diverged = f"at {r['diverged_at']}" if r["diverged"] else "no"
        decay = "" if r["schedule"] == "constant" else f", {schedule_words(r['schedule'])}"
        rows.append(
            f"| {link} | {optimizer_words(r)}{decay} | {data_words(r)} | {r['lr']:g} | {bs} "
            f"| {r['seed']} | {r['steps_run']} | {evaluations(r)} | {slope:.3f} "
            f"| {intercept:.3f} | {loss_words(r)} | {distance_words(r)} | {diverged} "
            f"| {r['seeds']} | {r['loss_band'][1]:.4g} | {r['diverged_share']:.0%} |"
        )
    # A class for compact cells: the columns fit the content column.
    return '<div class="sgd-results" markdown>\n\n' + "\n".join(rows) + "\n\n</div>"


def loss_words(run: dict) -> str:
    """The final loss, named for a problem other than the line: "0.2387", "CE 0.4994"."""
    short = PROBLEMS[run["problem"]].loss_short
    return f"{run['loss']:.4g}" if run["problem"] == "line" else f"{short} {run['loss']:.4g}"


def distance_words(run: dict) -> str:
    """From the problem's answer; "none" where it has none (separable classes)."""
    return "none" if run["distance"] is None else f"{run['distance']:.3g}"


def explorer_hash(run: dict) -> str:
    """The explorer's URL fragment for a run: lr and bs, and the optimizer and data setting
    when they are not the lesson's (so the lesson's links stay as they always were)."""
    bs = "full" if run["batch_size"] is None else run["batch_size"]
    extra = "" if run["optimizer"] == "sgd" else f"&opt={run['optimizer']}"
    extra += "" if run["schedule"] == "constant" else f"&sched={run['schedule']}"
    extra += "" if data_key(run) == "lesson" else f"&data={data_key(run)}"
    return f"lr={run['lr']:g}&bs={bs}{extra}"


def explorer(m: Manifest, base: str, eager: bool = False) -> str:
    """Radio buttons for every learning rate and batch size in the table, the chosen run's
    animation, loss plot and numbers; the data for every run is inline (no request)."""
    runs = []
    for slug in m.table:
        r = m.run(slug)
        runs.append({
            "slug": slug,
            "lr": f"{r['lr']:g}",
            "bs": "full" if r["batch_size"] is None else str(r["batch_size"]),
            "opt": r["optimizer"],
            "sched": r["schedule"],
            "data": data_key(r),
            "describe": describe(r),
            "alt": alt_text(r),
            "loss_alt": f"Loss of {describe(r)} against the update step.",
            "numbers": {
                "slope": f"{r['params'][0]:.3f}",
                "intercept": f"{r['params'][1]:.3f}",
                "mse": loss_words(r),
                "distance": distance_words(r),
                "diverged": f"at update {r['diverged_at']}" if r["diverged"] else "no",
                "seed": f"{r['seed']} (typical of {r['seeds']})",
                "median": f"{r['loss_band'][1]:.4g}",
                "optimizer": optimizer_words(r),
                "evaluations": evaluations(r),
            },
            "player": player_config(m, f"{slug}-fit", f"{slug}-poster", base),
            "loss": {t: f"{base}assets/{e['name']}" for t, e in m.variants(f"{slug}-loss", "png")},
        })  # fmt: skip
    opts = [name for name in OPTIMIZERS if any(r["opt"] == name for r in runs)]
    scheds = [name for name in SCHEDULES if any(r["sched"] == name for r in runs)]
    datas = [k for k in ("lesson", "moved", "centred", "standardised", *PROBLEMS)
             if any(r["data"] == k for r in runs)]  # fmt: skip
    data_names = {r["data"]: data_words(m.run(r["slug"])) for r in runs}
    lrs = sorted({r["lr"] for r in runs}, key=float)
    sizes = sorted(
        {r["bs"] for r in runs}, key=lambda b: (b != "full", int(b) if b != "full" else 0)
    )
    first = runs[0]

    def radios(name: str, legend: str, values: list[str], label) -> str:
        items = "".join(
            f'<label><input type="radio" name="{name}" value="{v}"'
            f"{' checked' if v == first[name] else ''}> {label(v)}</label>"
            for v in values
        )
        return f"<fieldset><legend>{legend}</legend>{items}</fieldset>"

    numbers = "".join(
        f'<div><dt>{label}</dt><dd data-field="{key}">{first["numbers"][key]}</dd></div>'
        for key, label in (
            ("slope", "slope"), ("intercept", "intercept"), ("mse", "final loss"),
            ("distance", "distance to the answer"), ("diverged", "diverged"),
            ("seed", "seed"), ("median", "median final loss, all seeds"),
            ("optimizer", "optimizer"), ("evaluations", "gradient evaluations"),
        )
    )  # fmt: skip
    data = json.dumps(runs, separators=(",", ":")).replace("</", "<\\/")
    first_slug = first["slug"]
    return (
        '<div class="sgd-explorer" data-explorer>'
        f'<script type="application/json" data-runs>{data}</script>'
        '<form class="sgd-explorer__controls" aria-label="Choose a run">'
        + radios("opt", "Optimizer", opts, lambda v: OPTIMIZERS[v].title)
        + radios("sched", "Learning-rate schedule", scheds, schedule_words)
        + radios("data", "Problem and data", datas, lambda v: data_names[v])
        + radios("lr", "Learning rate", lrs, lambda v: v)
        + radios("bs", "Batch size", sizes, lambda v: "full batch" if v == "full" else v)
        + "</form>"
        f'<p class="sgd-explorer__status" role="status" aria-live="polite">'
        f"Showing {html.escape(first['describe'])}.</p>"
        '<div class="sgd-explorer__view">'
        + run_animation(m, first_slug, base, eager=eager)
        + figure(m, f"{first_slug}-loss", first["loss_alt"], base)
        + f'<dl class="sgd-explorer__numbers">{numbers}</dl>'
        + "</div></div>"
    )


def overview(m: Manifest, base: str, eager: bool = False) -> str:
    """Every run of the table at once, small, on one clock: gradient descent, then a row of
    batch sizes per learning rate. Each cell links to its run in the explorer and shows its
    MSE at the step shown. Posters (the last step shown) until the reader plays."""
    rows: dict[str, list[dict]] = {}
    for r in (m.run(slug) for slug in m.table):
        classes = is_class_grid_run(r)
        if not (is_lesson_run(r) or classes):
            continue
        key = "gradient descent" if r["batch_size"] is None else f"SGD, lr {r['lr']:g}"
        rows.setdefault(f"classes: {key}" if classes else key, []).append(r)
    layers, groups = [], []
    for key, members in rows.items():
        cells = []
        for r in members:
            slug = r["slug"]
            config = player_config(m, f"{slug}-thumb", f"{slug}-thumb-poster", base)
            layers.append(config)
            if r["batch_size"] is not None:
                name = f"batch size {r['batch_size']}"
            else:  # the classes have gradient descent at more than one rate
                name = "all 100 points" if r["problem"] == "line" else f"all points, lr {r['lr']:g}"
            last = config["steps"][-1]
            drawn = ("the probability curve over the two classes" if r["problem"] != "line"
                     else "the fitted line over the points")  # fmt: skip
            alt = (f"{describe(r)} at step {last}: {drawn}"
                   + (f", after diverging at update {r['diverged_at']}" if r["diverged"] else "")
                   + ".")  # fmt: skip
            live = (
                f' <a class="sgd-cell__live" href="{sandbox_href([slug], base)}" '
                f'aria-label="{name}, {html.escape(key)}: open live in the sandbox">live</a>'
            )
            cells.append(
                '<li class="sgd-cell"><div class="sgd-anim__media">'
                + themed_picture(
                    m, f"{slug}-thumb-poster", "png", alt, base, eager and len(layers) == 1
                )  # the first cell only
                + f'</div><a href="explorer.html#{html.escape(explorer_hash(r))}">{name}</a>'
                + live
                + f'<span class="sgd-cell__mse" data-cell-mse>{config["loss"]} '
                + f"{config['mse'][-1][0]}</span>"
                + "</li>"
            )
        title = html.escape(key)
        groups.append(
            f'<section class="sgd-overview__row" aria-label="{title}"><h2>{title}</h2>'
            f'<ul class="sgd-cells">{"".join(cells)}</ul></section>'
        )
    config = json_attr({"layers": layers})
    clock = sorted({step for layer in layers for step in layer["steps"]})
    return (
        f'<div class="sgd-anim sgd-overview" data-player="{config}" data-cells>'
        + player_bar(clock, playing=False)
        + "".join(groups)
        + "</div>"
    )
