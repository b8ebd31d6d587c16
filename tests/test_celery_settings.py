"""The Celery settings that make at-least-once delivery real are in force."""

from config.celery_app import app


def test_tasks_are_acknowledged_after_they_run_and_requeued_if_the_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_only_json_crosses_the_broker():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"


def test_time_limits_are_set_and_well_under_the_redis_visibility_timeout():
    visibility_timeout = app.conf.broker_transport_options.get("visibility_timeout", 3600)
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_time_limit * 10 <= visibility_timeout


def test_beat_sweeps_the_outbox_every_minute():
    entry = app.conf.beat_schedule["outbox-sweep"]
    assert entry["task"] == "prescriptions.tasks.outbox_sweep_task"
    assert entry["schedule"] == 60.0
