"""Load the demo data set: all five KKRs with members, chairs, fora, appointments, meetings,
agreements and demo logins, around the welcome folders' facts. Deterministic for a given --seed;
a second run finds the set loaded and changes nothing."""

from __future__ import annotations

import time
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agreements.models import Agreement
from kkr_portal import demo
from members.models import Council, ElectionPeriod, Municipality


class Command(BaseCommand):
    help = "Indlæser demodata for alle fem KKR'er (deterministisk; kun til afprøvning, aldrig i produktion)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Frø for tilfældige data.")

    @transaction.atomic
    def handle(self, *args, seed: int, **options):
        if demo.is_loaded():
            self.stdout.write("Demodata er allerede indlæst; intet ændret.")
            return
        if demo.has_other_data():
            self.stdout.write(
                "Databasen har allerede egne data (mandater, udpegninger eller møder); "
                "demodata indlæses kun i en database uden dem. Intet ændret."
            )
            return
        if Municipality.objects.count() != 98 or not ElectionPeriod.objects.filter(name="2026-2029").exists():
            raise CommandError("Referencedata mangler: kør først »manage.py load_reference_data«.")
        if not Agreement.objects.filter(council__slug="syddanmark").exists():
            # The demo is built around the seed facts; load them first (idempotent).
            call_command("load_seed_facts", stdout=StringIO())
            self.stdout.write("Fakta fra velkomstfolderne indlæst først.")
        began = time.monotonic()
        stats = demo.DemoBuilder(seed=seed).build()
        for council in Council.objects.order_by("name"):
            figures = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in stats[council.name].items())
            self.stdout.write(f"  {council.name}: {figures}")
        self.stdout.write(
            f"Demodata indlæst (seed {seed}) på {time.monotonic() - began:.1f} s. "
            "Se logins med »manage.py demo_logins«."
        )
