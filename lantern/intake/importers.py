"""CSV importers for `lantern import KIND FILE.csv`, and the historic-referrals importer (`kind` "referrals").

An importer checks every row before it writes anything. A file with a bad row imports nothing, unless the caller
asks to skip bad rows. Valid rows are written in batches with bulk inserts and one audit event per record, all in
one transaction: an import stopped part way (killed, or the database lost) leaves nothing of the file behind, so
it can simply be run again. Apps offer importers by defining `IMPORTERS = {"kind": ImporterClass}` in their own
`importers.py`; the command finds them there.
"""

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.core.bulk import insert_rows, reserve_ids
from lantern.core.calendar import LONDON, add_working_days, is_working_day
from lantern.core.references import referral_reference_for, reserve_numbers
from lantern.core.vocabulary import PlaceType, Sex
from lantern.intake import services
from lantern.intake.models import Channel, Referral, ReferralSource, ReferralStatus

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: its number in the file (the header is row 1), the column and why."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return (
            f"Row {self.row}, {self.field}: {self.reason}" if self.field else f"Row {self.row}: {self.reason}"
        )


class RowCheck:
    """One CSV row's non-blank values, read column by column, with the problems found on the way.

    Each importer subclasses it with its column limits and the readers its columns need.
    """

    limits: ClassVar[Mapping[str, int]] = {}
    too_long: ClassVar[str] = "Must be {} characters or fewer"

    def __init__(self, row: dict[str, str], number: int, *, now: datetime):
        self.number, self.now = number, now
        self.values = {name: value.strip() for name, value in row.items() if value and not value.isspace()}
        self.get = self.values.get
        self.errors = [
            RowError(number, column, self.too_long.format(self.limits[column]))
            for column, value in self.values.items()
            if len(value) > self.limits.get(column, len(value))
        ]

    def error(self, column: str, reason: str) -> None:
        """Note a problem with `column`."""
        self.errors.append(RowError(self.number, column, reason))


@dataclass
class ImportResult:
    """How an import went."""

    rows: int = 0
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def bad_rows(self) -> int:
        """How many rows had at least one error."""
        return len({error.row for error in self.errors if error.row > 1})


class ImportRefused(Exception):
    """The file cannot be imported at all (unreadable, or wrong columns); nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _header_name(name: str | None) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


class CsvImporter:
    """A CSV importer: the columns it knows, how to check a row, and how to write a batch of checked rows."""

    kind = ""
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    aliases: ClassVar[dict[str, str]] = {}
    batch_size = 1000

    def __init__(self, *, actor=None, batch_size: int | None = None):
        self.actor = actor
        self.batch_size = batch_size or self.batch_size

    # To be provided by each importer.
    def clean_row(self, row: dict[str, str], number: int) -> tuple[Any, list[RowError]]:
        """The checked row (anything `write_batch` understands), and what is wrong with it."""
        raise NotImplementedError

    def prepare_batch(self, cleaned: list[Any]) -> Any:
        """Turn a batch of checked rows into what `write_batch` writes, before its transaction begins.

        It runs in a helper thread while the previous batch is written, so it must not use the database.
        """
        return cleaned

    def write_batch(self, prepared: Any, *, file_name: str) -> int:
        """Write a prepared batch (inside a transaction); return how many records were created."""
        raise NotImplementedError

    def before_writing(self, cleaned: list[Any]) -> None:
        """Anything to do once, after every row is checked and before the first batch (e.g. reserve numbers)."""

    # The common procedure.
    def read(self, path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
        """The file's columns (normalised names) and its rows with their numbers; refuses wrong columns."""
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by the generator
        reader = csv.reader(handle)
        try:
            header = [_header_name(name) for name in next(reader)]
        except StopIteration:
            handle.close()
            raise ImportRefused([RowError(1, "", "The file is empty")]) from None
        except (csv.Error, UnicodeDecodeError) as error:
            handle.close()
            raise ImportRefused(
                [RowError(1, "", f"The file cannot be read as UTF-8 CSV ({error})")]
            ) from None
        header = [self.aliases.get(name, name) for name in header]
        known = set(self.required_columns) | set(self.optional_columns)
        problems = [RowError(1, name or "(blank)", "Unknown column") for name in header if name not in known]
        problems += [
            RowError(1, name, "Column missing") for name in self.required_columns if name not in header
        ]
        problems += [
            RowError(1, name, "Column given twice") for name in sorted(set(header)) if header.count(name) > 1
        ]
        if problems:
            handle.close()
            raise ImportRefused(problems)

        def rows() -> Iterator[tuple[int, dict[str, str]]]:
            try:
                for values in reader:
                    number = reader.line_num
                    if not any(value.strip() for value in values):
                        continue
                    if len(values) != len(header):
                        yield number, {"__width__": f"Has {len(values)} values for {len(header)} columns"}
                        continue
                    yield number, dict(zip(header, values, strict=True))
            except (csv.Error, UnicodeDecodeError) as error:
                yield reader.line_num, {"__width__": f"Cannot be read ({error})"}
            finally:
                handle.close()

        return header, rows()

    def run(
        self,
        path: str | Path,
        *,
        skip_invalid: bool = False,
        dry_run: bool = False,
        progress: Callable[[Iterable, str, int | None], Iterable] | None = None,
    ) -> ImportResult:
        """Check every row, then (unless a row is bad and `skip_invalid` is off, or `dry_run`) write in batches."""
        path = Path(path)
        progress = progress or (lambda items, _label, _total: items)
        result = ImportResult(dry_run=dry_run)
        _header, rows = self.read(path)
        cleaned: list[Any] = []
        for number, row in progress(rows, "Checking", None):
            result.rows += 1
            if "__width__" in row:
                result.errors.append(RowError(number, "", row["__width__"]))
                continue
            value, errors = self.clean_row(row, number)
            if errors:
                result.errors.extend(errors)
            else:
                cleaned.append(value)
        result.skipped = result.rows - len(cleaned)
        if dry_run or (result.errors and not skip_invalid):
            return result
        batches = [cleaned[i : i + self.batch_size] for i in range(0, len(cleaned), self.batch_size)]
        # While one batch is written (mostly waiting for the database, which releases the GIL), the next is
        # prepared in a helper thread. `prepare_batch` never touches the database, so every query stays on this
        # thread's connection and inside the one transaction (docs/decisions/0023-faults-backup-and-restore.md).
        with (
            transaction.atomic(),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-prepare") as helper,
        ):
            self.before_writing(cleaned)
            upcoming = helper.submit(self.prepare_batch, batches[0]) if batches else None
            for index, _batch in enumerate(progress(batches, "Importing", len(batches))):
                prepared = upcoming.result()
                if index + 1 < len(batches):
                    upcoming = helper.submit(self.prepare_batch, batches[index + 1])
                result.imported += self.write_batch(prepared, file_name=path.name)
        return result


# Dates as other systems write them: ISO 8601, or day/month/year as UK spreadsheets do.
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime from ISO 8601 or dd/mm/yyyy [hh:mm[:ss]]; a time without a zone is UK time. None if neither."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        match = _UK_DATE.fullmatch(text)
        if not match:
            return None
        day, month, year, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            value = datetime(year, month, day, hour, minute, second)
        except ValueError:
            return None
    return value.replace(tzinfo=LONDON) if value.tzinfo is None else value


def parse_date(text: str) -> date | None:
    """A date from ISO 8601 (yyyy-mm-dd) or dd/mm/yyyy; None if neither."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        match = _UK_DATE.fullmatch(text)
        if not match or match.group(4):
            return None
        try:
            return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None


@functools.lru_cache(maxsize=8192)
def _next_working_day_after(day: date) -> tuple[date, bool]:
    return add_working_days(day, 1), is_working_day(day)


def decision_due(received_at: datetime) -> datetime:
    """`add_working_days(received_at, 1)`, by way of a per-day cache: imports compute it for every row.

    The calendar keeps the time of day from a working day, and gives the end of the day from a non-working one.
    """
    local = received_at.astimezone(LONDON)
    target, working = _next_working_day_after(local.date())
    moment = datetime.combine(target, local.time() if working else time.max)
    return moment.replace(tzinfo=LONDON).astimezone(UTC)


# The longest text each column may hold (the model's limits).
TEXT_LIMITS = {
    "summary": services.SUMMARY_MAX,
    "external_reference": 100,
    "public_outcome": 5000,
    "incident_location": 300,
    "reporter_name": 200,
    "reporter_contact": 200,
    "child_name": 200,
    "child_school": 200,
    "child_address": 300,
    "person_name": 200,
    "person_nickname": 100,
    "person_description": 2000,
    "place_name": 200,
    "place_address": 300,
    "place_postcode": 10,
    "vehicle_make": 50,
    "vehicle_model": 50,
    "vehicle_colour": 30,
}
CLOSED_STATUSES = frozenset({ReferralStatus.CLOSED, ReferralStatus.NO_FURTHER_ACTION})
SOURCES, SEXES, PLACE_TYPES = (
    frozenset(ReferralSource.values),
    frozenset(Sex.values),
    frozenset(PlaceType.values),
)
IMPORT_STATUSES = {
    "received": ReferralStatus.RECEIVED,
    "open": ReferralStatus.OPEN,
    "closed": ReferralStatus.CLOSED,
    "nfa": ReferralStatus.NO_FURTHER_ACTION,
}
IMPORT_STATUS_NAMES = frozenset(IMPORT_STATUSES)


class _RowCheck(RowCheck):
    """One referral row, with the readers of the referral importer's columns."""

    limits = TEXT_LIMITS

    def __init__(self, row: dict[str, str], number: int, *, now: datetime, latest: datetime):
        super().__init__(row, number, now=now)
        self.latest = latest

    def when(self, column: str, what: str) -> datetime | None:
        """The date and time in `column`; None if it is blank or cannot be right."""
        raw = self.get(column)
        if raw is None:
            return None
        value = parse_datetime(raw)
        if value is None:
            self.error(column, "Enter a real date, like 2024-03-27 or 27/03/2024 14:30")
        elif (value > self.latest or value.year < 1901) and (
            problem := services.date_problem(value, what=what, now=self.now)
        ):
            # Only a time past `latest` or near 1900 can be wrong, so the full check runs only for those.
            self.error(column, problem)
            return None
        return value

    def age(self, column: str, maximum: int) -> int | None:
        """The age in whole years in `column`; None if it is blank or wrong."""
        raw = self.get(column)
        if raw is None:
            return None
        if not raw.isdigit() or len(raw) > 3:
            self.error(column, "Age must be a whole number")
            return None
        if problem := services.age_problem(int(raw), maximum=maximum):
            self.error(column, problem)
            return None
        return int(raw)

    def choice(self, column: str, allowed: frozenset[str], default: str) -> str:
        """The value in `column` (or `default` if it is blank) in lower case, which must be one of `allowed`."""
        value = (self.get(column) or default).lower()
        if value not in allowed:
            self.error(column, f"Must be one of: {', '.join(sorted(allowed))}")
        return value

    def date_of_birth(self, column: str) -> date | None:
        """The date of birth in `column`; None if it is blank or wrong."""
        raw = self.get(column)
        if raw is None:
            return None
        dob = parse_date(raw)
        if dob is None:
            self.error(column, "Enter a real date of birth, like 2012-03-27 or 27/03/2012")
            return None
        if problem := services.date_problem(dob, what="Date of birth", now=self.now):
            self.error(column, problem)
            return None
        return dob

    def registrations(self, column: str) -> list[str]:
        """The vehicle registration marks listed in `column`, as written (any form is kept, and marked)."""
        return self.listed(column, services.TEXT_LIMITS["vehicles"]["registration"])

    def phones(self, column: str) -> list[dict[str, str]]:
        """The phone numbers listed in `column`, as written (any form is kept, and marked)."""
        return [
            {"number": number} for number in self.listed(column, services.TEXT_LIMITS["phones"]["number"])
        ]

    def listed(self, column: str, limit: int) -> list[str]:
        """The values listed in `column`, each no longer than `limit` (the longer ones are noted as errors)."""
        values = [value.strip() for value in self.get(column, "").split(LIST_SEPARATOR) if value.strip()]
        for value in values:
            if len(value) > limit:
                self.error(column, f"{self.too_long.format(limit)} (got {value[:limit]!r}...)")
        return values


def _vehicle_parts(marks: list[str], vehicle: dict[str, str]) -> list[dict[str, str]]:
    """The vehicles a row describes, from its registration marks and its make, model and colour."""
    if marks:
        # The make, model and colour describe the first vehicle; further marks are just marks.
        return [{**vehicle, "registration": marks[0]}] + [{"registration": m} for m in marks[1:]]
    return [vehicle] if any(vehicle.values()) else []


@dataclass
class CleanReferral:
    """One checked row of a referrals file."""

    received_at: datetime
    fields: dict[str, Any]
    parts: dict[str, list[dict[str, Any]]]


class ReferralImporter(CsvImporter):
    """Historic referrals from another system; the columns are described in docs/import-referrals.md."""

    kind = "referrals"
    required_columns = ("received_at", "summary")
    optional_columns = (
        "external_reference",
        "source",
        "status",
        "closed_at",
        "public_outcome",
        "incident_at",
        "incident_location",
        "referrer_agency",
        "reporter_name",
        "reporter_contact",
        "child_name",
        "child_dob",
        "child_age",
        "child_sex",
        "child_school",
        "child_address",
        "person_name",
        "person_nickname",
        "person_description",
        "person_age",
        "place_name",
        "place_type",
        "place_address",
        "place_postcode",
        "vehicle_registration",
        "vehicle_make",
        "vehicle_model",
        "vehicle_colour",
        "phone",
    )
    aliases: ClassVar[dict[str, str]] = {
        "reference": "external_reference",
        "child_date_of_birth": "child_dob",
        "phone_number": "phone",
        "registration": "vehicle_registration",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.agencies = {agency.code: agency.pk for agency in Agency.objects.all()}
        self.now = timezone.now()
        self.latest = self.now + services.CLOCK_TOLERANCE
        self.references: dict[int, str] = {}

    def before_writing(self, cleaned: list[CleanReferral]) -> None:
        """Reserve every reference at once, a block per year, so batches need not lock the counters."""
        by_year: dict[int, list[CleanReferral]] = defaultdict(list)
        for item in cleaned:
            by_year[item.received_at.astimezone(LONDON).year].append(item)
        for year, items in sorted(by_year.items()):
            first = reserve_numbers(f"referral-{year}", len(items))
            # In order of receipt within the year, as references issued at the time would have been.
            for offset, item in enumerate(sorted(items, key=lambda i: i.received_at)):
                self.references[id(item)] = referral_reference_for(year, first + offset)

    def clean_row(self, row: dict[str, str], number: int) -> tuple[CleanReferral | None, list[RowError]]:
        """Check one row against the same rules as every other way in."""
        check = _RowCheck(row, number, now=self.now, latest=self.latest)
        get, error = check.get, check.error
        received_at = check.when("received_at", "The date received")
        if "received_at" not in check.values:
            error("received_at", "Enter a date, like 2024-03-27 or 27/03/2024 14:30")
        summary = get("summary", "")
        if not summary:
            error("summary", "Enter what happened")
        source = check.choice("source", SOURCES, ReferralSource.IMPORT)
        status = check.choice("status", IMPORT_STATUS_NAMES, "received")
        closed_at = check.when("closed_at", "The date closed")
        if closed_at and received_at and closed_at < received_at:
            error("closed_at", "Must be after when it was received")
        agency_code = get("referrer_agency", "")
        if agency_code and agency_code not in self.agencies:
            error("referrer_agency", "No agency has this code")
        incident_at = check.when("incident_at", "The date it happened")

        child = {
            "name": get("child_name", ""),
            "school": get("child_school", ""),
            "address": get("child_address", ""),
            "age": check.age("child_age", services.CHILD_AGE_MAX),
        }
        if dob := check.date_of_birth("child_dob"):
            child["date_of_birth"] = dob
        if "child_sex" in check.values:
            child["sex"] = check.choice("child_sex", SEXES, "")
        person = {
            "name": get("person_name", ""),
            "nickname": get("person_nickname", ""),
            "description": get("person_description", ""),
            "age": check.age("person_age", services.PERSON_AGE_MAX),
        }
        place = {
            "name": get("place_name", ""),
            "address": get("place_address", ""),
            "postcode": get("place_postcode", ""),
        }
        if "place_type" in check.values:
            place["type"] = check.choice("place_type", PLACE_TYPES, "")
        vehicle = {
            "make": get("vehicle_make", ""),
            "model": get("vehicle_model", ""),
            "colour": get("vehicle_colour", ""),
        }
        vehicles = _vehicle_parts(check.registrations("vehicle_registration"), vehicle)
        phones = check.phones("phone")
        if check.errors:
            return None, check.errors
        fields = {
            "summary": summary,
            "source": source,
            "status": IMPORT_STATUSES[status],
            "closed_at": closed_at,
            "external_reference": get("external_reference", ""),
            "public_outcome": get("public_outcome", ""),
            "incident_at": incident_at,
            "incident_location": get("incident_location", ""),
            "referrer_agency_id": self.agencies.get(agency_code),
            "reporter_name": get("reporter_name", ""),
            "reporter_contact": get("reporter_contact", ""),
        }
        parts = {
            "children": [child] if any(v not in (None, "") for v in child.values()) else [],
            "persons": [person] if any(v not in (None, "") for v in person.values()) else [],
            "vehicles": vehicles,
            "phones": phones,
            "places": [place] if any(place.values()) else [],
        }
        return CleanReferral(received_at=received_at, fields=fields, parts=parts), []

    def prepare_batch(self, cleaned: list[CleanReferral]) -> tuple[list[dict], dict[str, list[dict]]]:
        """Referral rows and their mention rows, linked by position in the batch until ids are given."""
        created_by = self.actor.pk if getattr(self.actor, "is_authenticated", False) else None
        referrals, mentions = [], defaultdict(list)
        for index, item in enumerate(cleaned):
            closed = item.fields["status"] in CLOSED_STATUSES
            referrals.append(
                {
                    **item.fields,
                    "reference": self.references[id(item)],
                    "channel": Channel.IMPORT,
                    "received_at": item.received_at,
                    "decision_due_at": decision_due(item.received_at),
                    "created_by_id": created_by,
                    "closed_at": item.fields["closed_at"] or (item.received_at if closed else None),
                }
            )
            for kind, rows in services.mention_rows(summary=item.fields["summary"], **item.parts).items():
                for row in rows:
                    row["referral_id"] = index
                mentions[kind].extend(rows)
        return referrals, mentions

    def write_batch(self, prepared: tuple[list[dict], dict[str, list[dict]]], *, file_name: str) -> int:
        """Insert a batch: referrals and their mentions in bulk, and one audit event for each referral."""
        referrals, mentions = prepared
        ids = reserve_ids(Referral, len(referrals))  # inside this batch's transaction (SQLite's write lock)
        for referral, referral_id in zip(referrals, ids, strict=True):
            referral["id"] = referral_id
        for rows in mentions.values():
            for row in rows:
                row["referral_id"] = ids[row["referral_id"]]
        insert_rows(Referral, referrals)
        for kind, rows in mentions.items():
            insert_rows(services.MENTION_MODELS[kind], rows)
        actor = self.actor if getattr(self.actor, "is_authenticated", False) else None
        events.referrals_imported(actor=actor, referrals=referrals, file_name=file_name)
        return len(referrals)


IMPORTERS = {"referrals": ReferralImporter}
