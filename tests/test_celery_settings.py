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


def test_beat_sweeps_the_outbox_twice_a_minute():
    entry = app.conf.beat_schedule["outbox-sweep"]
    assert entry["task"] == "prescriptions.tasks.outbox_sweep_task"
    assert entry["schedule"] == 30.0


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
    assert {"reminders-dispatch", "reminders-sweep", "pt-digests"} <= set(app.conf.beat_schedule)


def test_queueing_gives_up_within_about_a_second_when_the_broker_is_down():
    policy = app.conf.task_publish_retry_policy
    waits = [
        min(policy["interval_start"] + attempt * policy["interval_step"], policy["interval_max"])
        for attempt in range(policy["max_retries"])
    ]
    assert 0 < sum(waits) <= 1.0
