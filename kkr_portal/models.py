"""The portal's own bookkeeping: the directory's data version (see ``kkr_portal/pagecache.py``)
and the logins' (see ``kkr_portal.auth.CachedAuthenticationMiddleware``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class DirectoryVersion(models.Model):
    """One row whose ``number`` changes with every committed write to the directory's tables.

    The database bumps it itself (triggers from ``kkr_portal.versioning``), so no write path —
    the admin, a service, an import, a bulk update, raw SQL — can change the Blå Bog without
    changing the version the page cache is keyed on.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="directoryversion_single_row")]

    def __str__(self) -> str:
        return str(self.number)


class AccountsVersion(models.Model):
    """One row whose ``number`` changes with every committed write to the user table (triggers
    from ``kkr_portal.versioning``): a user row read under one number is still the row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="accountsversion_single_row")]

    def __str__(self) -> str:
        return str(self.number)
