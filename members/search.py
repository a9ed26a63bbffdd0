"""Name search that forgives case, accents and Danish spelling.

Both the stored name (``Person.search_name``) and the query go through :func:`fold`, and a
query matches when every word of it occurs somewhere in the folded name, so ``soren`` finds
Søren, ``aero``/``aeroe``/``aerø`` find Ærø, ``møller`` finds Moeller and Møller, and any part
of a name finds it.

``Person.save()`` keeps ``search_name`` up to date. Writers that bypass ``save()``
(``bulk_create``, ``QuerySet.update``, raw SQL, generated benchmark data) must set
``search_name=fold(name)`` themselves.

On PostgreSQL a GIN trigram index on ``search_name`` serves the ``LIKE '%…%'`` that a word of
three letters or more compiles to (``search_name__contains``: the column is folded to lower case
already, so there is no ``UPPER()`` for the index to miss); shorter words are matched without it
(see :func:`name_matches`). The index takes new names straight in, without GIN's pending list
(migration ``members.0005``).
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

# Danish letters written out the way they are without a Danish keyboard...
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
# ...and those spellings (and the plain vowels) brought to one form: Aarhus = Århus = Arhus.
_DIGRAPH = re.compile(r"a[ae]|oe")
_APOSTROPHES = re.compile(r"['’`´]")
_NOT_A_LETTER = re.compile(r"[\W_]+")

# A search box is for names: longer input is cut (a 10,000-character query is not a name).
MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 8
# pg_trgm finds a word in its index from three letters on.
MIN_INDEXED_WORD = 3


def fold(text: str) -> str:
    """The form names are compared in: lower case, no accents, Danish letters and digraphs folded.

    >>> fold("Søren Ærø-Møller")
    'soren aro moller'
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.translate(_DANISH_LETTERS)
    previous = None
    while previous != text:  # "aae" → "ae" → "a": every spelling ends in the same form
        previous, text = text, _DIGRAPH.sub(lambda match: match.group()[0], text)
    text = _APOSTROPHES.sub("", text)  # O'Neill = ONeill
    return _NOT_A_LETTER.sub(" ", text).strip()  # Hans-Christian = Hans Christian; NUL bytes go too


def search_words(query: str) -> list[str]:
    """The folded words of a query (at most ``MAX_QUERY_WORDS``, duplicates dropped)."""
    words = fold(query[:MAX_QUERY_LENGTH]).split()
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def name_matches(words: list[str], *, prefix: str = "") -> Q:
    """Every word occurs in the folded name (``prefix`` for a related person, e.g. ``"person__"``).

    A word of ``MIN_INDEXED_WORD`` letters or more is ``LIKE '%…%'``, which the trigram index
    serves; a shorter one is ``STRPOS(…) > 0``, which no index serves: pg_trgm takes no trigram
    from one or two letters, so it would read its whole index and then every row anyway (30 ms
    at 100,000 people, where reading the table alone takes 10 ms).
    """
    condition = Q()
    for word in words:
        if len(word) >= MIN_INDEXED_WORD:
            condition &= Q(**{f"{prefix}search_name__contains": word})
        else:
            condition &= Q(GreaterThan(StrIndex(f"{prefix}search_name", Value(word)), 0))
    return condition


class PostgresOnlyGinIndex(GinIndex):
    """A GIN index on PostgreSQL; nothing on other databases.

    SQLite (for trying the portal out) has no GIN indexes. Django's schema editor executes
    whatever ``create_sql`` returns, also when it recreates a table on SQLite, so elsewhere this
    returns an SQL comment: a statement that does nothing, and says why in ``sqlmigrate``.
    """

    # PostgreSQL's limit on identifiers; Django's default of 30 is Oracle's, where this never runs.
    max_name_length = 63

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: a PostgreSQL GIN index, not created on {schema_editor.connection.vendor}"
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: a PostgreSQL GIN index, nothing to remove on {schema_editor.connection.vendor}"
        return super().remove_sql(model, schema_editor, **kwargs)
