"""Backing up and restoring the whole database together with the audit checkpoints that sign its chain.

A backup is a directory: `manifest.json` (engine, database identity, the chain head it holds), the database
(`database.dump`, PostgreSQL's custom format from `pg_dump`, or `database.sqlite3`, a copy taken with SQLite's
online backup API while Lantern runs) and `checkpoints/`, every checkpoint file. A checkpoint of the head is
written first, so the backup's own chain is signed. Restoring fills an empty database in one transaction
(PostgreSQL) or an absent file (SQLite), puts the checkpoints back, and verifies the chain. The restored
database keeps its identity: it is the same record, so the same checkpoints sign it.
"""

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from lantern.audit.chain import chain_pending
from lantern.audit.checkpoints import BACKSTOP_BUDGET, checkpoint_dir, checkpoint_files, checkpoint_write
from lantern.audit.models import ChainHead
from lantern.audit.verify import VerificationResult, verify_chain
from lantern.core.identity import database_id

MANIFEST = "manifest.json"
FORMAT = 1
POSTGRES_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
CHECKPOINTS = "checkpoints"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why in plain words."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    engine: str
    database: str
    head_seq: int
    head_hash: str
    created_at: str
    checkpoints: int


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Lantern cannot back up a {vendor} database.")
    return vendor


def libpq_environment(using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """The environment that points `pg_dump`, `pg_restore` and `psql` at the database behind `using`."""
    settings = connections[using].settings_dict
    env = {**os.environ, "PGDATABASE": str(settings["NAME"])}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[name] = str(settings[key])
    return env


def _run(command: list[str], *, env: dict[str, str]) -> None:
    try:
        # pg_dump or pg_restore with an argument list this module builds; no shell, and the database's name and
        # the backup's path travel as single arguments.
        finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} was not found; install PostgreSQL's client tools.") from exc
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip() or finished.returncode}")


def backup_write(*, out: Path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Write a backup of the database behind `using`, with every checkpoint, into the new directory `out`."""
    engine = _engine(using)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty; give a new directory for the backup.")
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_write(only_if_moved=True)
    if engine == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(out / POSTGRES_FILE)],
            env=libpq_environment(using),
        )
    else:
        connection = connections[using]
        connection.ensure_connection()
        target = sqlite3.connect(out / SQLITE_FILE)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    (out / CHECKPOINTS).mkdir()
    files = checkpoint_files()
    for path in files:
        shutil.copy2(path, out / CHECKPOINTS / path.name)
    head = ChainHead.objects.using(using).values_list("seq", "hash").first() or (0, "")
    manifest = Manifest(
        engine=engine,
        database=database_id(using),
        head_seq=head[0],
        head_hash=head[1],
        created_at=timezone.now().isoformat(),
        checkpoints=len(files),
    )
    (out / MANIFEST).write_text(json.dumps({"format": FORMAT, **manifest.__dict__}, indent=2) + "\n")
    return manifest


def manifest_read(source: Path) -> Manifest:
    """The manifest of the backup in `source`."""
    try:
        body = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a Lantern backup: {MANIFEST} cannot be read.") from exc
    if body.pop("format", None) != FORMAT:
        raise BackupError(f"{source} was written in a backup format this Lantern does not know.")
    return Manifest(**body)


def _database_is_empty(using: str) -> bool:
    connection = connections[using]
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if name != ":memory:" and not name.startswith("file:") and not Path(name).exists():
            return True
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _check_checkpoints_fit(source: Path) -> list[Path]:
    """The backup's checkpoint files; refuses if a different file of the same name is already in place."""
    files = sorted((source / CHECKPOINTS).glob("checkpoint-*.json"))
    for path in files:
        existing = checkpoint_dir() / path.name
        if existing.exists() and existing.read_bytes() != path.read_bytes():
            raise BackupError(
                f"{existing} already exists and differs from the backup's; restore with a checkpoint directory "
                "of its own (LANTERN_CHECKPOINT_DIR)."
            )
    return files


def backup_restore(*, source: Path, using: str = DEFAULT_DB_ALIAS) -> VerificationResult:
    """Restore the backup in `source` into the empty database behind `using` and its checkpoints into
    `AUDIT_CHECKPOINT_DIR`, then verify the audit chain against them."""
    manifest = manifest_read(source)
    engine = _engine(using)
    if manifest.engine != engine:
        raise BackupError(f"This backup is of a {manifest.engine} database; the target is {engine}.")
    if not _database_is_empty(using):
        raise BackupError(
            "The target database is not empty; restore into a new database (create it, point DATABASE_URL at "
            "it, and run `lantern restore` again)."
        )
    files = _check_checkpoints_fit(source)
    connection = connections[using]
    if engine == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                str(connection.settings_dict["NAME"]),
                str(source / POSTGRES_FILE),
            ],
            env=libpq_environment(using),
        )
    else:
        connection.ensure_connection()
        backup = sqlite3.connect(source / SQLITE_FILE)
        try:
            backup.backup(connection.connection)
        finally:
            backup.close()
    checkpoint_dir().mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, checkpoint_dir() / path.name)
    connection.close()
    chain_pending(budget=BACKSTOP_BUDGET)  # what was written but not yet chained when the backup was taken
    return verify_chain(using=using)
