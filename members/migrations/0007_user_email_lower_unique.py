"""One login per e-mail address, whatever its case.

allauth finds a login by the lower-case address (``User.email == address.lower()``), so a login
stored as ``Anne@Kommune.dk`` never got a code, and two logins whose addresses differ only in
case were one person with two accounts. From here the user model stores addresses in lower case
(``kkr_portal.text.lowercase_user_email``, a ``pre_save`` receiver: the model is Django's own),
and the database refuses a second login with the same address: a unique index on
``LOWER(email)``, for the logins that have one.

The index is on Django's table, so it is SQL here and not in any model's state. Existing
addresses are brought to lower case first; if two logins then share one, the migration stops
and names them (by id), to be merged by hand.
"""

from collections import defaultdict

from django.conf import settings
from django.db import migrations

INDEX = "auth_user_email_lower_unique"


def lowercase_emails(apps, schema_editor):
    User = apps.get_model(settings.AUTH_USER_MODEL)
    changed = []
    for user in User._default_manager.exclude(email="").only("pk", "email").iterator(chunk_size=2000):
        lowered = user.email.strip().lower()
        if lowered != user.email:
            user.email = lowered
            changed.append(user)
    User._default_manager.bulk_update(changed, ["email"], batch_size=500)
    owners = defaultdict(list)
    for pk, email in User._default_manager.exclude(email="").order_by("pk").values_list("pk", "email"):
        owners[email].append(pk)
    shared = sorted(pks for pks in owners.values() if len(pks) > 1)
    if shared:
        raise RuntimeError(
            f"{len(shared)} e-mail addresses belong to more than one login (user ids: {shared}); "
            "merge or change those logins, then migrate again."
        )


def create_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
    column = schema_editor.quote_name("email")
    schema_editor.execute(
        f"CREATE UNIQUE INDEX {schema_editor.quote_name(INDEX)} ON {table} (LOWER({column})) WHERE {column} <> ''"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [
        # auth's last migration: on SQLite a later change to auth_user rebuilds the table and
        # would drop an index it does not know of.
        ("auth", "0012_alter_user_first_name_max_length"),
        ("members", "0006_plain_text"),
    ]

    operations = [
        migrations.RunPython(lowercase_emails, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
