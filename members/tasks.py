"""The members app's tasks: small, given ids only, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import privacy


@shared_task(ignore_result=True)
def erase_expired_contact_details() -> int:
    """Beat, daily: queue one erasure per person whose last role ended more than
    PRIVACY_RETENTION_DAYS ago and of whom contact details are still stored. A second run finds
    none left to queue (or queues an erasure that finds nothing to do)."""
    person_ids = privacy.people_due_for_erasure()
    for person_id in person_ids:
        erase_contact_details.delay(person_id)
    return len(person_ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def erase_contact_details(person_id: int) -> bool:
    """Erase one person's contact details; the service checks the rule again under a row lock."""
    return privacy.erase_contact_details(person_id=person_id)
