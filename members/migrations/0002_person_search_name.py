"""The Blå Bog's name search: a folded copy of each name, and on PostgreSQL a trigram index on it."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import members.search

BATCH = 2000


class KeepTrigramExtension(TrigramExtension):
    """pg_trgm on PostgreSQL (TrigramExtension does nothing on other databases going forward).

    Going back it stays: other indexes may use it, and Django's own backwards step would look
    for PostgreSQL's catalogue on SQLite too.
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def fill_search_names(apps, schema_editor):
    """Historical models have no custom save(): fold every stored name here, in batches."""
    for model_name in ("Person",):
        model = apps.get_model("members", model_name)
        pk = model._meta.pk.attname
        batch = []
        for row in model.objects.only(pk, "name").order_by(pk).iterator(chunk_size=BATCH):
            row.search_name = members.search.fold(row.name)
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_update(batch, ["search_name"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        KeepTrigramExtension(),
        migrations.AddField(
            model_name="person",
            name="search_name",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="person",
            index=members.search.PostgresOnlyGinIndex(
                fields=["search_name"], name="members_person_search_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
