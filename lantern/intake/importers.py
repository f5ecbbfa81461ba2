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

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.core.bulk import insert_rows, reserve_ids
from lantern.core.calendar import LONDON, add_working_days, is_working_day
from lantern.core.references import referral_reference_for, reserve_numbers
from lantern.core.validation import validate
from lantern.intake import services
from lantern.intake.models import Channel, Referral, ReferralStatus
from lantern.intake.schemas import ReferralImportIn

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
    """One CSV row's non-blank values, and the problems found with it: those of reading a column (a date that is
    not one) and those its schema found, each under the column it came from.
    """

    def __init__(self, row: dict[str, str], number: int):
        self.number = number
        self.values = {name: value.strip() for name, value in row.items() if value and not value.isspace()}
        self.get = self.values.get
        self.errors: list[RowError] = []

    def error(self, column: str, reason: str) -> None:
        """Note a problem with `column`."""
        self.errors.append(RowError(self.number, column, reason))

    def schema_problems(
        self, problems: Mapping[str, list[str]], columns: Mapping[tuple[str, ...], str]
    ) -> None:
        """Note a schema's problems (by its field keys) under the columns they came from (`column_for`); a
        column that could not be read at all already has its problem noted."""
        unread = {error.field for error in self.errors}
        for key, messages in problems.items():
            column = column_for(columns, key)
            if column not in unread:
                for message in messages:
                    self.error(column, message)


def column_for(columns: Mapping[tuple[str, ...], str], key: str) -> str:
    """The column a schema's field key came from: "vehicles.2.registration" -> columns[("vehicles", "registration")]
    ("" when the problem is with the row as a whole)."""
    path = tuple(part for part in key.split(".") if not part.isdigit())
    while path and path not in columns:
        path = path[:-1]
    return columns.get(path, "")


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


CLOSED_STATUSES = frozenset({ReferralStatus.CLOSED, ReferralStatus.NO_FURTHER_ACTION})
IMPORT_STATUSES = {
    "received": ReferralStatus.RECEIVED,
    "open": ReferralStatus.OPEN,
    "closed": ReferralStatus.CLOSED,
    "nfa": ReferralStatus.NO_FURTHER_ACTION,
}
# Where each column goes in `ReferralImportIn`: a field of the referral, or of its reporter, its one child, person
# of concern or place, or its first vehicle (a row's further registration marks are further vehicles).
COLUMNS: dict[str, tuple[str, ...]] = {
    "received_at": ("received_at",),
    "summary": ("summary",),
    "external_reference": ("external_reference",),
    "source": ("source",),
    "status": ("status",),
    "closed_at": ("closed_at",),
    "public_outcome": ("public_outcome",),
    "incident_at": ("incident_at",),
    "incident_location": ("incident_location",),
    "referrer_agency": ("referrer_agency",),
    "reporter_name": ("reporter", "name"),
    "reporter_contact": ("reporter", "contact"),
    "child_name": ("children", "name"),
    "child_dob": ("children", "date_of_birth"),
    "child_age": ("children", "age"),
    "child_sex": ("children", "sex"),
    "child_school": ("children", "school"),
    "child_address": ("children", "address"),
    "person_name": ("persons", "name"),
    "person_nickname": ("persons", "nickname"),
    "person_description": ("persons", "description"),
    "person_age": ("persons", "age"),
    "place_name": ("places", "name"),
    "place_type": ("places", "type"),
    "place_address": ("places", "address"),
    "place_postcode": ("places", "postcode"),
    "vehicle_make": ("vehicles", "make"),
    "vehicle_model": ("vehicles", "model"),
    "vehicle_colour": ("vehicles", "colour"),
    "vehicle_registration": ("vehicles", "registration"),
    "phone": ("phones", "number"),
}


class RowShape:
    """How a file's columns become its schema's input: where each column goes (a field of the record, or of one
    of its parts), and how it is read (as a date, a whole number, a choice in lower case, or text as it is).

    A column is put under `(field,)`, `(part, field)` for a part of which a row has one (a list of one, or an
    object where the part is named in `objects`), or is one of the two list columns (registration marks and
    phone numbers, separated by semicolons): a row's first vehicle takes the vehicle columns and its first mark.
    Nothing is judged here; that is the schema's. Only a date that cannot be read at all is noted, as the file's
    own problem.
    """

    registrations, phones = "vehicle_registration", "phone"

    def __init__(
        self,
        columns: Mapping[str, tuple[str, ...]],
        *,
        always: Mapping[str, Any],
        part_always: Mapping[str, Mapping[str, Any]] | None = None,
        objects: frozenset[str] = frozenset(),
        moments: frozenset[str] = frozenset(),
        days: frozenset[str] = frozenset(),
        numbers: frozenset[str] = frozenset(),
        choices: frozenset[str] = frozenset(),
    ):
        self.columns, self.always, self.objects = columns, always, objects
        self.part_always = part_always or {}
        # Each column's place and how it is read, worked out once: a file has many rows.
        readers = {
            **dict.fromkeys(choices, _lower),
            **dict.fromkeys(numbers, _number),
            **dict.fromkeys(days, _day),
            **dict.fromkeys(moments, _moment),
        }
        self.plan = {
            column: (path[0] if len(path) > 1 else None, path[-1], readers.get(column))
            for column, path in columns.items()
            if column not in (self.registrations, self.phones)
        }
        # The column each of the schema's fields came from, for its problems.
        self.column_of = {
            **{path: column for column, path in columns.items()},
            ("vehicles",): self.registrations,
            ("phones",): self.phones,
        }

    def data(self, check: RowCheck) -> dict[str, Any]:
        """The row as the schema's input. The fields in `always` (and a part's in `part_always`, when the row has
        that part) are sent even when blank, so that the schema says in its own words that they are needed."""
        data: dict[str, Any] = dict(self.always)
        parts: dict[str, dict[str, Any]] = {}
        plan = self.plan
        for column, raw in check.values.items():
            step = plan.get(column)
            if step is None:
                continue
            part, name, read = step
            value = raw if read is None else read(check, column, raw)
            if value is None:
                continue
            if part is None:
                data[name] = value
            elif part in parts:
                parts[part][name] = value
            else:
                parts[part] = {name: value}
        vehicles = vehicles_of(listed(check, self.registrations), parts.pop("vehicles", {}))
        for kind, given in parts.items():
            part = {**self.part_always[kind], **given} if kind in self.part_always else given
            data[kind] = part if kind in self.objects else [part]
        if vehicles:
            data["vehicles"] = vehicles
        if phones := listed(check, self.phones):
            data["phones"] = [{"number": number} for number in phones]
        return data


def _lower(_check: RowCheck, _column: str, raw: str) -> str:
    return raw.lower()


def _number(_check: RowCheck, _column: str, raw: str) -> int | str:
    return read_number(raw)


def _day(check: RowCheck, column: str, _raw: str) -> date | None:
    return read_day(check, column)


def _moment(check: RowCheck, column: str, _raw: str) -> datetime | None:
    return read_moment(check, column)


def read_moment(check: RowCheck, column: str) -> datetime | None:
    """The date and time in `column` (ISO 8601 or dd/mm/yyyy [hh:mm]); None if blank or not a date at all."""
    raw = check.get(column)
    if raw is None:
        return None
    value = parse_datetime(raw)
    if value is None:
        check.error(column, "Enter a real date, like 2024-03-27 or 27/03/2024 14:30")
    return value


def read_day(check: RowCheck, column: str) -> date | None:
    """The date in `column` (ISO 8601 or dd/mm/yyyy); None if blank or not a date at all."""
    raw = check.get(column)
    if raw is None:
        return None
    value = parse_date(raw)
    if value is None:
        check.error(column, "Enter a real date of birth, like 2012-03-27 or 27/03/2012")
    return value


def read_number(raw: str) -> int | str:
    """A whole number as typed, or the text itself (for the schema to refuse as not a whole number)."""
    try:
        return int(raw)
    except ValueError:
        return raw


def listed(check: RowCheck, column: str) -> list[str]:
    """The non-blank entries of a column that lists several, separated by semicolons."""
    return [entry.strip() for entry in check.get(column, "").split(LIST_SEPARATOR) if entry.strip()]


def vehicles_of(marks: list[str], first: dict[str, str]) -> list[dict[str, str]]:
    """The vehicles a row describes: the make, model and colour describe the first; further marks are just marks."""
    if marks:
        return [{**first, "registration": marks[0]}] + [{"registration": mark} for mark in marks[1:]]
    return [first] if first else []


REFERRAL_ROW = RowShape(
    COLUMNS,
    always={"summary": "", "received_at": None},
    objects=frozenset({"reporter"}),
    moments=frozenset({"received_at", "closed_at", "incident_at"}),
    days=frozenset({"child_dob"}),
    numbers=frozenset({"child_age", "person_age"}),
    choices=frozenset({"source", "status", "child_sex", "place_type"}),
)


@dataclass
class CleanReferral:
    """One checked row of a referrals file."""

    referral: ReferralImportIn
    referrer_agency_id: int | None

    @property
    def received_at(self) -> datetime:
        """When the referral was received on the system it comes from."""
        return self.referral.received_at


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
        """Check one row by `ReferralImportIn`, the rules every other way in keeps too."""
        check = RowCheck(row, number)
        referral, problems = validate(ReferralImportIn, REFERRAL_ROW.data(check))
        check.schema_problems(problems, REFERRAL_ROW.column_of)
        agency_code = check.get("referrer_agency", "")
        if agency_code and agency_code not in self.agencies:
            check.error("referrer_agency", "No agency has this code")
        if check.errors:
            return None, check.errors
        return CleanReferral(referral=referral, referrer_agency_id=self.agencies.get(agency_code)), []

    def prepare_batch(self, cleaned: list[CleanReferral]) -> tuple[list[dict], dict[str, list[dict]]]:
        """Referral rows and their mention rows, linked by position in the batch until ids are given."""
        created_by = self.actor.pk if getattr(self.actor, "is_authenticated", False) else None
        referrals, mentions = [], defaultdict(list)
        for index, item in enumerate(cleaned):
            given = item.referral
            referrals.append(self._referral_fields(item, created_by))
            parts = {
                "children": given.children,
                "persons": given.persons,
                "vehicles": given.vehicles,
                "phones": given.phones,
                "places": given.places,
            }
            for kind, rows in services.mention_rows(summary=given.summary, **parts).items():
                for row in rows:
                    row["referral_id"] = index
                mentions[kind].extend(rows)
        return referrals, mentions

    def _referral_fields(self, item: CleanReferral, created_by: int | None) -> dict[str, Any]:
        """A checked row's referral as column values for a bulk insert."""
        given, reporter = item.referral, item.referral.reporter
        status = IMPORT_STATUSES[given.status]
        return {
            "summary": given.summary,
            "source": str(given.source),
            "status": status,
            "external_reference": given.external_reference,
            "public_outcome": given.public_outcome,
            "incident_at": given.incident_at,
            "incident_location": given.incident_location,
            "referrer_agency_id": item.referrer_agency_id,
            "reporter_name": reporter.name if reporter else "",
            "reporter_contact": reporter.contact if reporter else "",
            "reference": self.references[id(item)],
            "channel": Channel.IMPORT,
            "received_at": given.received_at,
            "decision_due_at": decision_due(given.received_at),
            "created_by_id": created_by,
            "closed_at": given.closed_at or (given.received_at if status in CLOSED_STATUSES else None),
        }

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
