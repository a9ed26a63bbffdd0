"""``members_person.role_days`` on PostgreSQL: the days on which the person held any role, kept
by the database (see ``members.filters.RoleDays``, which reads it).

The union (a ``datemultirange``) of every council seat, KKR place and chair post (each within its
election period) and every appointment that was made (appointed or ended; carry-overs run on
until ``ended_on``); ``'{}'`` for someone whose only rows hold no day, NULL for someone who never
held a role. The Blå Bog's name search sorts the people it finds by it (current holders first)
without probing the four tables for each of them (1,700 people for »jensen« at 40x).

Only the database has the column: Django neither reads nor writes it, so the admin, exports,
history and forms never see it. Triggers keep it right whatever writes: a row trigger on
``members_person`` works it out on every insert and update (whatever a writer put there), and
statement triggers on the four role tables and the election periods touch the people whose rows
changed. The row trigger reads the role rows with a snapshot taken after it has the person's row
lock, so two transactions adding roles to one person cannot lose each other's. Writers that skip
triggers (``session_replication_role = replica``, bench/generate.py) must refresh it themselves:
``UPDATE members_person SET role_days = members_person_role_days(id)``.

Not PostgreSQL (SQLite, for trying the portal out): nothing; the Blå Bog asks the role tables.
"""

from django.db import migrations

ROLE_TABLES = ("members_councilseat", "members_kkrmembership", "members_chairmanship", "fora_appointment")

SEAT_DAYS = """
    SELECT CASE WHEN greatest(r.started_on, e.starts_on) <= least(r.ended_on, e.ends_on)
                THEN daterange(greatest(r.started_on, e.starts_on), least(r.ended_on, e.ends_on), '[]')
                ELSE 'empty'::daterange END
      FROM {table} r JOIN members_electionperiod e ON e.id = r.period_id
     WHERE r.person_id = person
"""

FORWARD = [
    "ALTER TABLE members_person ADD COLUMN role_days datemultirange",
    # A role of the seat kinds holds the days of its own dates within its period's; an appointment
    # those from its start to its end (open: until a successor ends it). As filters.on_day_q.
    f"""
    CREATE OR REPLACE FUNCTION members_person_role_days(person bigint) RETURNS datemultirange
    LANGUAGE sql VOLATILE AS $$
        SELECT range_agg(days) FROM (
            {SEAT_DAYS.format(table="members_councilseat")}
            UNION ALL {SEAT_DAYS.format(table="members_kkrmembership")}
            UNION ALL {SEAT_DAYS.format(table="members_chairmanship")}
            UNION ALL
            SELECT daterange(a.starts_on, a.ended_on, '[]') FROM fora_appointment a
             WHERE a.person_id = person AND a.appointed_on IS NOT NULL AND a.status IN ('appointed', 'ended')
        ) AS spans (days)
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION members_person_set_role_days() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.role_days := members_person_role_days(NEW.id);
        RETURN NEW;
    END
    $$
    """,
    "CREATE TRIGGER members_person_role_days BEFORE INSERT OR UPDATE ON members_person "
    "FOR EACH ROW EXECUTE FUNCTION members_person_set_role_days()",
    # The people whose rows a statement wrote: their row trigger works the value out anew.
    """
    CREATE OR REPLACE FUNCTION members_role_days_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE members_person SET role_days = NULL;
        ELSIF TG_OP = 'INSERT' THEN
            UPDATE members_person SET role_days = NULL WHERE id IN (SELECT person_id FROM new_rows);
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE members_person SET role_days = NULL WHERE id IN (SELECT person_id FROM old_rows);
        ELSE
            UPDATE members_person SET role_days = NULL
             WHERE id IN (SELECT person_id FROM new_rows UNION SELECT person_id FROM old_rows);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    *[
        statement
        for table in ROLE_TABLES
        for statement in (
            f"CREATE TRIGGER members_role_days_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION members_role_days_changed()",
            f"CREATE TRIGGER members_role_days_update AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION members_role_days_changed()",
            f"CREATE TRIGGER members_role_days_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION members_role_days_changed()",
            f"CREATE TRIGGER members_role_days_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION members_role_days_changed()",
        )
    ],
    # A period's dates bound its seats, KKR places and chair posts.
    """
    CREATE OR REPLACE FUNCTION members_role_days_period_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE members_person SET role_days = NULL WHERE id IN (
            WITH moved AS (
                SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE (n.starts_on, n.ends_on) IS DISTINCT FROM (o.starts_on, o.ends_on)
            )
            SELECT person_id FROM members_councilseat WHERE period_id IN (SELECT id FROM moved)
            UNION SELECT person_id FROM members_kkrmembership WHERE period_id IN (SELECT id FROM moved)
            UNION SELECT person_id FROM members_chairmanship WHERE period_id IN (SELECT id FROM moved)
        );
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER members_role_days_period AFTER UPDATE ON members_electionperiod "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION members_role_days_period_changed()",
    # The people already there (the row trigger works it out).
    "UPDATE members_person SET role_days = NULL",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS members_role_days_period ON members_electionperiod",
    *[
        f"DROP TRIGGER IF EXISTS members_role_days_{operation} ON {table}"
        for table in ROLE_TABLES
        for operation in ("insert", "update", "delete", "truncate")
    ],
    "DROP TRIGGER IF EXISTS members_person_role_days ON members_person",
    "DROP FUNCTION IF EXISTS members_role_days_period_changed()",
    "DROP FUNCTION IF EXISTS members_role_days_changed()",
    "DROP FUNCTION IF EXISTS members_person_set_role_days()",
    "DROP FUNCTION IF EXISTS members_person_role_days(bigint)",
    "ALTER TABLE members_person DROP COLUMN IF EXISTS role_days",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_user_email_lower_unique"),
        ("fora", "0005_forum_name_index_declared"),
    ]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
    ]
