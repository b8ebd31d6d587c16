"""Test support: a local SMTP sink, private Redis servers and real Celery worker processes.

These let the fault tests run the real chain (beat's pass, Redis, a worker process, Django's SMTP
backend, a mail server) and break one link at a time.
"""
