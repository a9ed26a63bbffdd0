"""Print the demo logins and where the portal's emails go (for `make run`)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from kkr_portal import demo


def mail_destination() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.endswith("filebased.EmailBackend"):
        return f"filer i {settings.EMAIL_FILE_PATH}/ (én fil pr. afsendelse)"
    if backend.endswith("console.EmailBackend"):
        return "konsollen (stdout)"
    if backend.endswith("locmem.EmailBackend"):
        return "hukommelsen (test)"
    return f"{backend} ({getattr(settings, 'EMAIL_HOST', '')}:{getattr(settings, 'EMAIL_PORT', '')})"


class Command(BaseCommand):
    help = "Viser demologins (e-mail, adgangskode, rolle) og hvor e-mails havner."

    def handle(self, *args, **options):
        logins = demo.demo_logins()
        if not logins:
            self.stdout.write("Demodata er ikke indlæst. Kør »manage.py load_demo_data« (make run gør det).")
            return
        width = max(len(login.email) for login in logins)
        self.stdout.write("Demologins (kun demodata – adgangskoden er offentlig og må aldrig bruges i drift):")
        for login in logins:
            self.stdout.write(f"  {login.email:<{width}}  {demo.DEMO_PASSWORD}  {login.role}")
        self.stdout.write(
            "Medlemmer logger ind med en engangskode sendt pr. e-mail; adgangskoden virker også. "
            "Sekretariater og administrator skal sætte tofaktor (MFA) op ved første login, hvis portalen kræver det."
        )
        self.stdout.write(f"E-mails (engangskoder, påmindelser) havner i {mail_destination()}.")
