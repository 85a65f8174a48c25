"""Every number in the pages' prose comes from the build.

A digit typed into a page is a claim nobody recomputes: it goes stale the day a setting
changes. Outside placeholders ({{ num ... }}, {{ fact ... }}), code and math, a page may only
write the numbers below: settings the sources give, and numbers the sources themselves report
(quoted, and credited in the page). Everything else is a placeholder.
"""

import re
from pathlib import Path

import pytest

from sgd_lib.site.pages import PLACEHOLDER

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))

ALLOWED = {
    # The settings the sources give (DESIGN.md lists whose is whose): n, the true lines, the
    # noise, the guess, the learning rates, batch sizes and numbers of updates.
    "100", "3", "10", "2", "0.6", "0.25", "1", "0.1", "0.01", "16", "64", "1000", "0",
    # What the sources report and the pages quote as theirs: the 2019 write-up's initial
    # MSE and recovered line, the write-ups' "about 8", and the year that names the write-up.
    "92.9", "3.0332", "9.9738", "8", "2019",
    # The years that name the work the fair-races page cites (Polyak; Choi et al.; Schmidt et al.).
    "1964", "2021", "2018",  # and Soudry et al., on the classification page
    # The band every comparison shows (studies.BAND): 10% to 90%, the middle 80%.
    "10-90%", "80%",
    # The Python the project is built with (the README's requirement, not a claim).
    "3.11",
}  # fmt: skip
# Code, math, placeholders, links' targets, HTML attributes and keyboard keys hold no claims.
HIDDEN = [
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\\\(.*?\\\)", re.S),  # inline math
    PLACEHOLDER,
    re.compile(r"\]\([^)]*\)"),  # a link's target
    re.compile(r"<[^>]*>"),  # HTML tags
    re.compile(r"\+\+[^+]*\+\+"),  # keys
    re.compile(r"^#+ .*$", re.M),  # headings name things, they claim nothing
    re.compile(r"^\s*\d+\. ", re.M),  # a numbered list's numbers
]
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:-\d+)?%?")


def prose(markdown: str) -> str:
    for pattern in HIDDEN:
        markdown = pattern.sub(" ", markdown)
    return markdown


def typed_numbers(markdown: str) -> list[str]:
    return [n for n in NUMBER.findall(prose(markdown)) if n not in ALLOWED]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_number_is_typed_into_a_page(page):
    assert typed_numbers(page.read_text()) == []


def test_the_check_finds_a_typed_number():
    # It cannot pass by finding nothing: a typed measurement is caught, a placeholder is not.
    assert typed_numbers("a mean squared error of 0.239, about the noise") == ["0.239"]
    assert typed_numbers("an error of {{ num gd-lr0.1 loss .3f }}") == []
    assert typed_numbers("code `x = 0.239` and math \\(0.239\\)") == []
    assert typed_numbers("a band of 10-90% and 55% covered") == ["55%"]
