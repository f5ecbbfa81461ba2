"""The public report's question pages, and a young person's own report: which pages, in which order, and what a
finished draft sends to `referral_create` (through `ReferralIn`).

A draft (see `drafts`) holds each page's answers exactly as typed; they are checked again by the same forms when
the report is sent, so what is sent is what each page accepted.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from lantern.intake import forms as intake_forms
from lantern.intake.models import ReferralSource

ITEMS_MAX = intake_forms.ROWS  # children, people, vehicles or phone numbers a report may give, one a page


@dataclass(frozen=True)
class Step:
    """One question page: its address, its form, its question, and whether it repeats (one item a page)."""

    slug: str
    form: type[forms.Form]
    title: str
    hint: str = ""
    required: bool = False
    item: str = ""  # "child": the page repeats, one child a page
    part: str = ""  # the structured part its answers become ("children", ...)


@dataclass(frozen=True)
class Journey:
    """A sequence of question pages ending in "Check your answers"."""

    name: str
    source: str
    steps: tuple[Step, ...] = field(default=())

    def step(self, slug: str) -> Step | None:
        """The step with this address, if there is one."""
        return next((step for step in self.steps if step.slug == slug), None)

    def index(self, step: Step) -> int:
        """Where a step comes in the journey."""
        return self.steps.index(step)


PUBLIC = Journey(
    name="report",
    source=ReferralSource.PUBLIC,
    steps=(
        Step("what-happened", intake_forms.ReportSummaryForm, _("What happened?"), required=True),
        Step(
            "where-and-when",
            intake_forms.WhenWhereForm,
            _("Where and when did it happen?"),
            hint=_("Tell us what you know. If you do not know, skip this question."),
        ),
        Step(
            "children",
            intake_forms.ChildForm,
            _("The child or children"),
            hint=_("Tell us about one child on this page. You can add another child after this one."),
            item=_("child"),
            part="children",
        ),
        Step(
            "people",
            intake_forms.PersonForm,
            _("People you are worried about"),
            hint=_(
                "Tell us about one person on this page. A name, a nickname or what they look like all help."
            ),
            item=_("person"),
            part="persons",
        ),
        Step(
            "vehicles",
            intake_forms.VehicleForm,
            _("Vehicles"),
            hint=_("A car or taxi that was there. Even part of the number plate helps."),
            item=_("vehicle"),
            part="vehicles",
        ),
        Step(
            "phone-numbers",
            intake_forms.PhoneForm,
            _("Phone numbers"),
            hint=_("A number used to contact the child, or one that was given out."),
            item=_("phone number"),
            part="phones",
        ),
        Step("about-you", intake_forms.AboutYouForm, _("About you"), required=True),
    ),
)

YOUNG_PERSON = Journey(
    name="me",
    source=ReferralSource.SELF,
    steps=(
        Step(
            "what-is-happening", intake_forms.SelfSummaryForm, _("What is happening to you?"), required=True
        ),
        Step(
            "about-you",
            intake_forms.SelfAboutForm,
            _("About you"),
            hint=_("You do not have to tell us any of this. It helps us find you and help you."),
        ),
    ),
)

JOURNEYS = {journey.name: journey for journey in (PUBLIC, YOUNG_PERSON)}


def items(draft: dict, step: Step) -> list[dict]:
    """The answers saved for a step: one dict for a single page, one a page for a repeating step."""
    saved = draft["answers"].get(step.slug)
    if step.item:
        return saved if isinstance(saved, list) else []
    return [saved] if isinstance(saved, dict) else []


def bound(step: Step, data: dict | None) -> forms.Form:
    """The step's form, bound to the answers given (or unbound)."""
    return step.form(data) if data is not None else step.form()


def first_unanswered(journey: Journey, draft: dict | None) -> Step | None:
    """The first page not yet answered (or skipped), or None if every page has been."""
    done = set(draft["done"]) if draft else set()
    return next((step for step in journey.steps if step.slug not in done), None)


def checked_forms(journey: Journey, draft: dict) -> tuple[dict[str, list[forms.Form]], Step | None]:
    """Every page's answers checked again, by step; and the first page whose answers no longer pass, if any."""
    checked: dict[str, list[forms.Form]] = {}
    for step in journey.steps:
        checked[step.slug] = [bound(step, answers) for answers in items(draft, step)]
        if any(not form.is_valid() for form in checked[step.slug]):
            return checked, step
        if step.required and not checked[step.slug]:
            return checked, step
    return checked, None


def referral_fields(journey: Journey, checked: dict[str, list[forms.Form]]) -> dict:
    """A checked draft as `ReferralIn`'s input: the pages' parts are the models their schemas made."""
    if journey is YOUNG_PERSON:
        summary = checked["what-is-happening"][0].cleaned_data["summary"]
        about = checked["about-you"]
        child = about[0].child() if about else {"description": "The young person who sent this report"}
        reporter = about[0].reporter() if about else {"relationship": "Self"}
        return {
            "source": ReferralSource.SELF,
            "summary": summary,
            "children": [child],
            "reporter": reporter,
            "anonymous": not (reporter.get("name") or reporter.get("contact")),
        }
    what = checked["what-happened"][0]
    when = checked["where-and-when"][0] if checked["where-and-when"] else None
    about = checked["about-you"][0]
    fields = {
        "source": ReferralSource.PUBLIC,
        "summary": what.cleaned_data["summary"],
        "incident_at": when.cleaned_data.get("incident_at") if when else None,
        "places": when.places() if when else [],
        "reporter": about.reporter(),
        "anonymous": about.cleaned_data["identity"] == intake_forms.AboutYouForm.ANONYMOUS,
    }
    for step in journey.steps:
        if step.part:
            fields[step.part] = [form.model for form in checked[step.slug] if form.model is not None]
    return fields
