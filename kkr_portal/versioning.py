"""Database triggers that bump ``DirectoryVersion`` on every write to the directory's tables,
and ``AccountsVersion`` on every write to the user table.

Every table of the apps in ``DIRECTORY_APPS`` gets one (except simple-history's own tables,
which only ever change together with the table they record). They are (re)installed after
every ``migrate`` (``post_migrate``), so a model added later is covered without anyone
remembering to; ``tests/portal/test_pagecache.py`` checks that every table has one.

PostgreSQL: one trigger per table, once per statement (a bulk update of 10,000 rows bumps once).
It runs inside the writing transaction, so the new number becomes visible exactly when the
data does: a reader sees either the old data under the old number or the new under the new.
SQLite (for trying the portal out): a trigger per table and operation, per row.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

# elections: the balance page (members/balance.py) shows the imported votes.
DIRECTORY_APPS = ("members", "fora", "agreements", "elections")
VERSION_TABLE = "kkr_portal_directoryversion"
TRIGGER = "kkr_directory_changed"
# The logins' own counter (``AccountsVersion``): signed-in requests reuse the user row they read
# last (kkr_portal.auth.CachedAuthenticationMiddleware) until it moves. Its own row, so that a
# login does not wait for a long directory import holding the directory's row, nor the reverse.
ACCOUNTS_TABLE = "kkr_portal_accountsversion"
ACCOUNTS_TRIGGER = "kkr_accounts_changed"


# Literal SQL, one per counter (table names are constants, never input).
POSTGRES_FUNCTIONS = {
    # A fresh row starts at the clock in microseconds, so a version table that was emptied (a
    # test database flush) never hands out a number that an older cached value was stored under.
    TRIGGER: """
CREATE OR REPLACE FUNCTION kkr_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kkr_portal_directoryversion (id, number)
    VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (id) DO UPDATE SET number = kkr_portal_directoryversion.number + 1;
    RETURN NULL;
END
$$
""",
    # The logins' number is never handed out twice, not even by a transaction that rolled back
    # (sequences are not transactional; on SQLite a random 64-bit number): a user row read in a
    # transaction that wrote it and then rolled back can never match a later number.
    ACCOUNTS_TRIGGER: """
CREATE SEQUENCE IF NOT EXISTS kkr_accounts_version_seq;
CREATE OR REPLACE FUNCTION kkr_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kkr_portal_accountsversion (id, number) VALUES (1, nextval('kkr_accounts_version_seq'))
    ON CONFLICT (id) DO UPDATE SET number = nextval('kkr_accounts_version_seq');
    RETURN NULL;
END
$$
""",
}
SQLITE_BUMPS = {
    TRIGGER: (
        "INSERT INTO kkr_portal_directoryversion (id, number) "
        "VALUES (1, CAST(strftime('%s', 'now') AS INTEGER) * 1000000) "
        "ON CONFLICT(id) DO UPDATE SET number = number + 1;"
    ),
    ACCOUNTS_TRIGGER: (
        "INSERT INTO kkr_portal_accountsversion (id, number) VALUES (1, random()) "
        "ON CONFLICT(id) DO UPDATE SET number = random();"
    ),
}


def directory_tables() -> list[str]:
    """Every table whose rows a Blå Bog page can show (many-to-many tables included)."""
    tables = []
    for label in DIRECTORY_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            meta = model._meta
            # simple-history's tables (a record's versions, and their many-to-many rows).
            is_history = any(field.name in ("history_id", "history") for field in meta.concrete_fields)
            if meta.managed and not meta.proxy and not is_history:
                tables.append(meta.db_table)
    return sorted(set(tables))


def accounts_tables() -> list[str]:
    """The user table, what a signed-in request's ``request.user`` is read from, and the second
    factors', which every staff request checks (kkr_portal.auth)."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    return sorted({get_user_model()._meta.db_table, Authenticator._meta.db_table})


def installed_triggers(using: str = "default", trigger: str = TRIGGER) -> set[str]:
    """The tables that have the trigger now (read back from the database's catalogue)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [trigger])
            return {row[0].strip('"') for row in cursor.fetchall()}
        cursor.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"{trigger}%"]
        )
        by_table: dict[str, int] = {}
        for table, _name in cursor.fetchall():
            by_table[table] = by_table.get(table, 0) + 1
        return {table for table, count in by_table.items() if count == 3}


def install_triggers(using: str = "default", **_kwargs) -> None:
    """Create the functions and the missing triggers; idempotent (runs after every migrate)."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    existing_tables = set(connection.introspection.table_names())
    for trigger, version_table, tables in (
        (TRIGGER, VERSION_TABLE, directory_tables()),
        (ACCOUNTS_TRIGGER, ACCOUNTS_TABLE, accounts_tables()),
    ):
        if version_table not in existing_tables:
            continue
        have = installed_triggers(using, trigger)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(POSTGRES_FUNCTIONS[trigger])
            for table in tables:
                if table in have or table not in existing_tables:
                    continue
                quoted = connection.ops.quote_name(table)
                if connection.vendor == "postgresql":
                    cursor.execute(
                        f"CREATE OR REPLACE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                        f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {trigger}()"
                    )
                else:
                    for operation in ("INSERT", "UPDATE", "DELETE"):
                        cursor.execute(
                            f"CREATE TRIGGER IF NOT EXISTS {trigger}_{table}_{operation.lower()} "
                            f"AFTER {operation} ON {quoted} BEGIN {SQLITE_BUMPS[trigger]} END"
                        )


DIRECTORY_VERSION_SQL = f"SELECT number FROM {VERSION_TABLE} WHERE id = 1"  # noqa: S608 - constants
ACCOUNTS_VERSION_SQL = f"SELECT number FROM {ACCOUNTS_TABLE} WHERE id = 1"  # noqa: S608 - constants
# The two versions as the first columns of a query (kkr_portal.sessions adds the session's row).
VERSION_COLUMNS = f"({DIRECTORY_VERSION_SQL}), ({ACCOUNTS_VERSION_SQL})"
VERSIONS_SQL = f"SELECT {VERSION_COLUMNS}"


def read_versions(connection=None) -> tuple[int | None, int | None]:
    """The directory's and the logins' versions in one round trip; None where a row is missing
    (a flushed test database): nothing is cached on it.

    Plain SQL: it runs on every signed-in request, and the ORM would compile it each time.
    """
    row = first_read(connection or connections[DEFAULT_DB_ALIAS], VERSIONS_SQL)
    return row[0], row[1]


def read_directory_version(connection=None) -> int | None:
    """The directory's version alone (a request that is not signed in); None where it is missing."""
    row = first_read(connection or connections[DEFAULT_DB_ALIAS], DIRECTORY_VERSION_SQL)
    return row[0] if row else None


def first_read(connection, sql: str, params: Sequence = ()) -> tuple | None:
    """The first row of ``sql``, a read that is the first query of nearly every request, and so
    also the request's connection health check (``CONN_HEALTH_CHECKS``).

    Django checks a persistent connection with a "SELECT 1" round trip of its own before a
    request's first query. This read checks it instead: if the connection turns out dead, it is
    closed and the read made again on a new one, which is what Django's check would have led to,
    one round trip earlier. Inside a transaction the connection is never replaced behind its
    back: there the check is left to Django.
    """
    check = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if check:
        connection.health_check_done = True
        try:
            return _fetch_one(connection, sql, params)
        except (InterfaceError, OperationalError):
            connection.close()
    return _fetch_one(connection, sql, params)


def _fetch_one(connection, sql: str, params: Sequence) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
