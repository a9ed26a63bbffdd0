"""The agreements' text fields follow the portal's text rules (kkr_portal.text), and the stored text too.

The field classes change Django's state only (the columns are the same); the data step drops
invisible and direction-changing characters from the rows and brings text to NFC. History
rows are left as they were written. A value the rules still refuse (a description over its new
limit) is left for the secretariat: the admin names the problem when the row is next saved.
"""

import kkr_portal.text
from django.db import migrations


def normalise_stored_text(apps, schema_editor):
    kkr_portal.text.normalise_stored_text(apps, 'agreements')


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agreement',
            name='counterpart',
            field=kkr_portal.text.PlainCharField(help_text='Fx »Region Syddanmark«, »Erhvervshus Fyn«.', max_length=150, verbose_name='aftalepart'),
        ),
        migrations.AlterField(
            model_name='agreement',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='agreement',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='agreementkind',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='agreementkind',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=150, unique=True, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='historicalagreement',
            name='counterpart',
            field=kkr_portal.text.PlainCharField(help_text='Fx »Region Syddanmark«, »Erhvervshus Fyn«.', max_length=150, verbose_name='aftalepart'),
        ),
        migrations.AlterField(
            model_name='historicalagreement',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='historicalagreement',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='historicalmilestone',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='historicalmunicipalapproval',
            name='approved_by',
            field=kkr_portal.text.PlainCharField(default='Kommunalbestyrelsen', max_length=100, verbose_name='godkendt af'),
        ),
        migrations.AlterField(
            model_name='milestone',
            name='title',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='titel'),
        ),
        migrations.AlterField(
            model_name='municipalapproval',
            name='approved_by',
            field=kkr_portal.text.PlainCharField(default='Kommunalbestyrelsen', max_length=100, verbose_name='godkendt af'),
        ),
        migrations.RunPython(normalise_stored_text, migrations.RunPython.noop),
    ]
