"""Sessions in the database, read in the same query as the data and logins' versions.

``SESSION_ENGINE = "kkr_portal.sessions"``: Django's database sessions, with one change. Every
signed-in request reads the versions (kkr_portal.versioning: the page cache's and the user row's),
and every request with a session cookie reads its session: here both are one query, the session's
row (by its primary key, unexpired) as a third column. The session is therefore read fresh on
every request, as Django's database sessions are — a logout or a change in any process is on the
next request — with no round trip of its own.

Written here rather than Django's ``cached_db``, which reads the session from the shared cache:
that is a round trip to Redis on every signed-in request (about 90 us of its CPU, measured
in-process on the bench's data), on top of the versions' one to the database.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from .versioning import VERSION_COLUMNS, first_read


class SessionStore(db.SessionStore):
    def __init__(self, session_key=None) -> None:
        super().__init__(session_key)
        # (directory, logins) versions as read with the session, for the rest of the request.
        self.versions: tuple[int | None, int | None] | None = None

    def load(self) -> dict:
        connection = connections[DEFAULT_DB_ALIAS]
        table = connection.ops.quote_name(self.model._meta.db_table)
        directory, accounts, session_data = first_read(
            connection,
            f"SELECT {VERSION_COLUMNS}, "  # noqa: S608 - constants and a quoted model table name.
            f"(SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s)",
            [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        self.versions = (directory, accounts)
        if session_data is None:
            # As Django's own: an unknown or expired key is dropped, and a new one made on save.
            self._session_key = None
            return {}
        return self.decode(session_data)
