"""The members' text fields follow the portal's text rules (kkr_portal.text), and the stored text too.

The field classes change Django's state only (the columns are the same); the data step drops
invisible and direction-changing characters from the rows, brings text to NFC, phone numbers
to 12 34 56 78 and e-mail addresses to lower case. History rows are left as they were written.
A value the rules still refuse (a bio over its new limit, a phone number that is no number) is
left for the secretariat: the admin names the problem when the row is next saved.
"""

import kkr_portal.text
from django.db import migrations


def normalise_stored_text(apps, schema_editor):
    kkr_portal.text.normalise_stored_text(apps, 'members')


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0005_person_search_name_trgm_fastupdate_off'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agendaitem',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='agendaitem',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=300, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='council',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=100, unique=True, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='council',
            name='region_name',
            field=kkr_portal.text.PlainCharField(max_length=100, verbose_name='region'),
        ),
        migrations.AlterField(
            model_name='electionperiod',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=20, unique=True, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='historicalmeeting',
            name='place',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=200, verbose_name='sted'),
        ),
        migrations.AlterField(
            model_name='historicalmeeting',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='bio',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=1000, verbose_name='kort biografi'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='email',
            field=kkr_portal.text.LowercaseEmailField(blank=True, max_length=254, verbose_name='e-mail'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=150, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='phone',
            field=kkr_portal.text.PhoneField(blank=True, max_length=30, verbose_name='telefon'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='sort_name',
            field=kkr_portal.text.PlainCharField(help_text='Efternavn først, fx »Jensen, Anne«.', max_length=150, verbose_name='sorteringsnavn'),
        ),
        migrations.AlterField(
            model_name='meeting',
            name='place',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=200, verbose_name='sted'),
        ),
        migrations.AlterField(
            model_name='meeting',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='municipality',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=60, unique=True, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='municipality',
            name='official_name',
            field=kkr_portal.text.PlainCharField(max_length=80, unique=True, verbose_name='officielt navn'),
        ),
        migrations.AlterField(
            model_name='party',
            name='letter',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=2, verbose_name='bogstav'),
        ),
        migrations.AlterField(
            model_name='party',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=100, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='party',
            name='short_name',
            field=kkr_portal.text.PlainCharField(max_length=60, verbose_name='kort navn'),
        ),
        migrations.AlterField(
            model_name='person',
            name='bio',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=1000, verbose_name='kort biografi'),
        ),
        migrations.AlterField(
            model_name='person',
            name='email',
            field=kkr_portal.text.LowercaseEmailField(blank=True, max_length=254, verbose_name='e-mail'),
        ),
        migrations.AlterField(
            model_name='person',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=150, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='person',
            name='phone',
            field=kkr_portal.text.PhoneField(blank=True, max_length=30, verbose_name='telefon'),
        ),
        migrations.AlterField(
            model_name='person',
            name='sort_name',
            field=kkr_portal.text.PlainCharField(help_text='Efternavn først, fx »Jensen, Anne«.', max_length=150, verbose_name='sorteringsnavn'),
        ),
        migrations.AlterField(
            model_name='policyarea',
            name='description',
            field=kkr_portal.text.PlainTextField(max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='policyarea',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=60, unique=True, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='secretariatcontact',
            name='email',
            field=kkr_portal.text.LowercaseEmailField(blank=True, max_length=254, verbose_name='e-mail'),
        ),
        migrations.AlterField(
            model_name='secretariatcontact',
            name='name',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=150, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='secretariatcontact',
            name='phone',
            field=kkr_portal.text.PhoneField(blank=True, max_length=30, verbose_name='telefon'),
        ),
        migrations.AlterField(
            model_name='secretariatcontact',
            name='title',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=100, verbose_name='stilling'),
        ),
        migrations.AlterField(
            model_name='secretariatcontact',
            name='unit',
            field=kkr_portal.text.PlainCharField(help_text='Fx »KKR-sekretariat Syddanmark«.', max_length=150, verbose_name='enhed'),
        ),
        migrations.AlterField(
            model_name='timelineentry',
            name='period_label',
            field=kkr_portal.text.PlainCharField(max_length=20, verbose_name='periode'),
        ),
        migrations.AlterField(
            model_name='timelineentry',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='opgave'),
        ),
        migrations.RunPython(normalise_stored_text, migrations.RunPython.noop),
    ]
