"""The name search's trigram index without GIN's pending list (``fastupdate = off``).

With ``fastupdate`` on (PostgreSQL's default), new and changed names go to an unsorted pending
list that every search reads from end to end until VACUUM merges it into the index. After the
benchmark's bulk load (100,000 people) the list holds about 460 pages and each search of the Blå
Bog spends 3 ms in it (the index itself: under 1 ms). People are added one at a time by the
secretariats, so writing each name straight into the index costs nothing anyone notices.

Only the database changes here (the index is rebuilt with the option, which also leaves no
pending list behind): members/models.py does not declare the option yet, and a migration that
changed Django's state without it would make ``makemigrations --check`` fail. To declare it, add
``fastupdate=False`` to the ``members_person_search_name_trgm`` index in ``Person.Meta.indexes``
and move these operations into ``state_operations`` as well (the database is unchanged by that).
Not PostgreSQL: ``PostgresOnlyGinIndex`` does nothing.
"""

from django.db import migrations

import members.search

NAME = "members_person_search_name_trgm"


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_calendarfeed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RemoveIndex(model_name="person", name=NAME),
                migrations.AddIndex(
                    model_name="person",
                    index=members.search.PostgresOnlyGinIndex(
                        fields=["search_name"], name=NAME, opclasses=["gin_trgm_ops"], fastupdate=False
                    ),
                ),
            ],
            state_operations=[],
        ),
    ]
