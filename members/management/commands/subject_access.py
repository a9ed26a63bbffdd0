"""``manage.py subject_access <e-mail or person slug> [--output file.json]``: everything the
portal holds about one person in one JSON file (a GDPR subject access request, art. 15).

What goes in is ``members.privacy.subject_access_report``. The file holds personal data: it is
written readable by its owner only, and nothing of it goes to the log.
"""

from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from members.privacy import subject_access_report


class Command(BaseCommand):
    help = "Everything the portal holds about one person (e-mail address or slug), as JSON."

    def add_arguments(self, parser):
        parser.add_argument("subject", help="The person's e-mail address (now or earlier) or their slug.")
        parser.add_argument("--output", "-o", help="Write the JSON to this file (readable by its owner only).")

    def handle(self, *args, subject: str, output: str | None = None, **options):
        report = subject_access_report(subject)
        if report is None:
            raise CommandError("The portal holds nothing about that e-mail address or slug.")
        content = json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            self.stdout.write(content, ending="")
            return
        # O_EXCL: never over an existing file (a mistyped path must not replace someone's data).
        try:
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{output} exists already; choose another file.") from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(content)
        self.stdout.write(f"Wrote {output}: {len(report['people'])} person(s) and the rows under their addresses.")
