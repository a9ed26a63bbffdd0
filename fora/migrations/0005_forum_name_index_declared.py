"""The forum-name index of 0003, now declared in ``Forum.Meta.indexes``.

On SQLite, 0004's field changes rebuilt the table from Django's state, which did not know the
index, and so dropped it; PostgreSQL kept it. Declaring it puts it in the state (a later rebuild
keeps it), and the database step creates it where it is missing, on either database.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fora", "0004_plain_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="forum",
                    index=models.Index(fields=["name"], name="fora_forum_name"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "CREATE INDEX IF NOT EXISTS fora_forum_name ON fora_forum (name)",
                    migrations.RunSQL.noop,
                ),
            ],
        ),
    ]
