"""The reminder tasks: small, given ids only, safe to run twice (the outbox rows hold the state)."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown

from . import emails, services, smtp


@shared_task(ignore_result=True)
def plan_reminders() -> dict:
    """Beat, every few minutes: insert the deliveries that have come due, then queue every ready
    row that no task is waiting for (new rows, retries that are due, and lost messages)."""
    planned = services.plan_deliveries()
    queued = services.queue_ready_deliveries()
    return {"planned": planned, "queued": len(queued)}


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_delivery(delivery_id: int) -> str:
    """Send one delivery; a second message for the same row does nothing (see the service)."""
    return services.send_delivery(delivery_id=delivery_id)


@worker_process_shutdown.connect
def close_smtp_connection(**kwargs) -> None:
    """Say goodbye to the SMTP server when a pool process ends (the send tasks keep the connection)."""
    smtp.discard()


@worker_process_init.connect
def warm_up(**kwargs) -> None:
    """Load when a pool process starts what its first send task would load otherwise: the URLconf
    (every link in a reminder is reversed), and the email templates."""
    emails.warm_up()
