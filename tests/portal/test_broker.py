"""Celery's broker: Redis in production and CI, kombu's filesystem transport by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from kombu import Connection, Exchange, Queue

from kkr_portal.celery import app
from tests.conftest import redis_url


@pytest.mark.redis
def test_a_message_published_to_redis_is_consumed_once():
    queue = Queue(f"kkr-ci-{uuid.uuid4().hex}", Exchange("kkr-ci", type="direct"), routing_key="ci", auto_delete=True)
    with Connection(redis_url()) as connection:
        producer = connection.Producer()
        producer.publish({"n": 1}, exchange=queue.exchange, routing_key="ci", declare=[queue], serializer="json")
        bound = queue(connection.default_channel)
        message = bound.get(no_ack=False)
        assert message.payload == {"n": 1}
        message.ack()
        assert bound.get() is None
        bound.delete()


def test_the_celery_app_reads_the_django_settings():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]
    assert app.conf.timezone == "UTC"
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


def test_without_a_broker_url_the_broker_is_files_under_var():
    env = {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "kkr_portal.settings"
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT_OPTIONS]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    ).stdout
    url, options = json.loads(output)
    assert url == "filesystem://"
    assert options["data_folder_in"] == str(settings.BASE_DIR / "var" / "celery" / "queue")


def test_the_filesystem_transport_carries_a_message(tmp_path):
    """The default transport works with no server at all."""
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    queue = Queue("kkr-local", Exchange("kkr-local", type="direct"), routing_key="local")
    with Connection("filesystem://", transport_options=options) as connection:
        connection.Producer().publish({"n": 2}, exchange=queue.exchange, routing_key="local", declare=[queue])
        message = queue(connection.default_channel).get(no_ack=False)
        assert message.payload == {"n": 2}
        message.ack()
