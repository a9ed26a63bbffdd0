"""An index on the forum's name: the appointment change list is ordered by it.

The appointments' default ordering (``seat__forum__name``, ``seat__position``, ``-starts_on``)
sorts across a join. With this index PostgreSQL reads the fora in name order and stops after a
page of appointments (an incremental sort); without it, it joins and sorts every appointment
(26,000 at the benchmark's 40x scale, 50+ ms) for each page.

Only the database changes here: fora/models.py does not declare the index yet, and a migration
that changed Django's state without it would make ``makemigrations --check`` fail. To declare
it, add ``models.Index(fields=["name"], name="fora_forum_name")`` to ``Forum.Meta.indexes`` and
move this operation into ``state_operations`` as well (the database is unchanged by that).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fora", "0002_withdrawn_nominations_hold_no_seat"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddIndex(
                    model_name="forum",
                    index=models.Index(fields=["name"], name="fora_forum_name"),
                ),
            ],
            state_operations=[],
        ),
    ]
