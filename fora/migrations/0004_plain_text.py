"""The fora's text fields follow the portal's text rules (kkr_portal.text), and the stored text too.

The field classes change Django's state only (the columns are the same); the data step drops
invisible and direction-changing characters from the rows and brings text to NFC. History
rows are left as they were written. A value the rules still refuse (a description over its new
limit) is left for the secretariat: the admin names the problem when the row is next saved.
"""

import kkr_portal.db
import kkr_portal.text
from django.db import migrations


def normalise_stored_text(apps, schema_editor):
    kkr_portal.text.normalise_stored_text(apps, 'fora')


class Migration(migrations.Migration):

    dependencies = [
        ('fora', '0003_forum_name_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='appointment',
            name='note',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=1000, verbose_name='bemærkning'),
        ),
        migrations.AlterField(
            model_name='forum',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='forum',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='forum',
            name='website',
            field=kkr_portal.db.HttpsURLField(blank=True, validators=[kkr_portal.text.PlainTextValidator()], verbose_name='hjemmeside'),
        ),
        migrations.AlterField(
            model_name='forumkind',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='forumkind',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=100, unique=True, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='historicalappointment',
            name='note',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=1000, verbose_name='bemærkning'),
        ),
        migrations.AlterField(
            model_name='historicalforum',
            name='description',
            field=kkr_portal.text.PlainTextField(blank=True, max_length=2000, verbose_name='beskrivelse'),
        ),
        migrations.AlterField(
            model_name='historicalforum',
            name='name',
            field=kkr_portal.text.PlainCharField(max_length=200, verbose_name='navn'),
        ),
        migrations.AlterField(
            model_name='historicalforum',
            name='website',
            field=kkr_portal.db.HttpsURLField(blank=True, validators=[kkr_portal.text.PlainTextValidator()], verbose_name='hjemmeside'),
        ),
        migrations.AlterField(
            model_name='historicalseat',
            name='appointing_body',
            field=kkr_portal.text.PlainCharField(blank=True, help_text='Hvem der udpeger, når KKR indstiller.', max_length=150, verbose_name='udpegende organ'),
        ),
        migrations.AlterField(
            model_name='historicalseat',
            name='label',
            field=kkr_portal.text.PlainCharField(max_length=150, verbose_name='betegnelse'),
        ),
        migrations.AlterField(
            model_name='historicalseat',
            name='recommended_by',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=150, verbose_name='indstilles af'),
        ),
        migrations.AlterField(
            model_name='seat',
            name='appointing_body',
            field=kkr_portal.text.PlainCharField(blank=True, help_text='Hvem der udpeger, når KKR indstiller.', max_length=150, verbose_name='udpegende organ'),
        ),
        migrations.AlterField(
            model_name='seat',
            name='label',
            field=kkr_portal.text.PlainCharField(max_length=150, verbose_name='betegnelse'),
        ),
        migrations.AlterField(
            model_name='seat',
            name='recommended_by',
            field=kkr_portal.text.PlainCharField(blank=True, max_length=150, verbose_name='indstilles af'),
        ),
        migrations.RunPython(normalise_stored_text, migrations.RunPython.noop),
    ]
