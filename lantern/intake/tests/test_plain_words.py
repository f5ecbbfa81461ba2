"""Plain words, measured: the Flesch-Kincaid grade (textstat 0.7.3) of every page a member of the public or a
young person sees is at most 9 for the public's pages and 6 for a young person's own report."""

import re
from html.parser import HTMLParser

import pytest
import textstat

from lantern.intake.tests.test_public import PUBLIC_STEPS, answer, draft_key, reach

pytestmark = pytest.mark.django_db

PUBLIC_GRADE_MAX = 9
YOUNG_PERSON_GRADE_MAX = 6


class _VisibleText(HTMLParser):
    """The text a reader meets on a page: each heading, label, paragraph, button or list item as its own
    sentence; scripts, styles and the hidden honeypot left out."""

    BLOCKS = {
        "h1",
        "h2",
        "h3",
        "p",
        "li",
        "label",
        "legend",
        "button",
        "a",
        "dt",
        "dd",
        "div",
        "strong",
        "title",
    }

    def __init__(self):
        super().__init__()
        self.pieces: list[str] = []
        self.current: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style") or dict(attrs).get("class") == "lantern-hp":
            self.skipping += 1
        if tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1
        if tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self.skipping:
            self.current.append(data)

    def _flush(self):
        text = " ".join(" ".join(self.current).split())
        self.current = []
        if text:
            self.pieces.append(text if text[-1] in ".?!:" else f"{text}.")

    def text(self, html: str) -> str:
        self.feed(html)
        self._flush()
        return " ".join(self.pieces)


def grade(html: str) -> float:
    """The Flesch-Kincaid grade of the visible text of a page's main content (the header's and footer's short
    links are left out: they would pull the grade down)."""
    html = re.sub(r'<div class="lantern-hp".*?</div>\s*</div>', "", html, flags=re.S)
    main = re.search(r"<main\b.*?</main>", html, flags=re.S)
    html = main.group(0) if main else html
    return textstat.flesch_kincaid_grade(_VisibleText().text(html))


def public_pages(client) -> dict[str, str]:
    """Every page of the public journey, each question page, "Check your answers" and the confirmation."""
    pages = {
        path: client.get(path).content.decode()
        for path in ("/report", "/report/staying-safe-online", "/track")
    }
    pages["problem"] = client.get("/report/people").content.decode()
    reach(client, "about-you")
    answer(client, "/report/about-you", {"identity": "anonymous"})
    for step in PUBLIC_STEPS:
        pages[step] = client.get(f"/report/{step}").content.decode()
    check = client.get("/report/check-your-answers")
    pages["check"] = check.content.decode()
    pages["sent"] = client.post("/report/check-your-answers", {"draft": draft_key(check)}).content.decode()
    return pages


def young_person_pages(client) -> dict[str, str]:
    """Every page of a young person's own report."""
    pages = {"start": client.get("/report/me").content.decode()}
    pages["problem"] = client.get("/report/me/about-you").content.decode()
    answer(client, "/report/me/what-is-happening", {"summary": "A man keeps giving me money."})
    pages["what"] = client.get("/report/me/what-is-happening").content.decode()
    pages["about"] = client.get("/report/me/about-you").content.decode()
    answer(client, "/report/me/about-you", action="skip")
    check = client.get("/report/me/check-your-answers")
    pages["check"] = check.content.decode()
    pages["sent"] = client.post("/report/me/check-your-answers", {"draft": draft_key(check)}).content.decode()
    return pages


def test_public_pages_read_at_grade_9_or_below(client):
    """Each public page's visible text scores at most grade 9 (about age 14)."""
    grades = {name: grade(html) for name, html in public_pages(client).items()}
    assert max(grades.values()) <= PUBLIC_GRADE_MAX, grades


def test_a_young_persons_pages_read_at_grade_6_or_below(client):
    """Each page of a young person's own report scores at most grade 6 (about age 11 to 12)."""
    grades = {name: grade(html) for name, html in young_person_pages(client).items()}
    assert max(grades.values()) <= YOUNG_PERSON_GRADE_MAX, grades


def test_the_measure_tells_plain_words_from_hard_ones():
    """The measure itself: a plain page scores low, a page of long official words scores high."""
    plain = (
        "<main><h1>Tell us what is happening</h1><p>You can stay anonymous. It is not your fault.</p></main>"
    )
    hard = (
        "<main><p>Notwithstanding the aforementioned considerations, multi-agency safeguarding arrangements "
        "necessitate comprehensive documentation of organisational accountability.</p></main>"
    )
    assert grade(plain) < 4 < 12 < grade(hard)
