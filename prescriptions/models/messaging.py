"""What leaves the building: patient reminders and the transactional outbox."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .programme import Prescription


class Reminder(models.Model):
    """One reminder for one slot of one local day. The unique key makes sending idempotent."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="reminders"
    )
    local_date = models.DateField()
    slot = models.CharField(max_length=5, help_text=_("Local time HH:MM of the plan."))
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    due_at = models.DateTimeField()

    class Kind(models.TextChoices):
        PLAN = "plan", _("Time of the plan")
        NUDGE = "nudge", _("Evening follow-up")

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PLAN)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "local_date", "slot", "channel"],
                name="reminder_one_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.local_date} {self.slot} ({self.channel})"


class OutboxMessage(models.Model):
    """A message written in the same transaction as the event that needs it, sent later.

    A broker outage delays an urgent notice; it cannot lose it.
    """

    class Kind(models.TextChoices):
        URGENT_PT_NOTICE = "urgent_pt_notice", _("Urgent notice to the therapist")
        PT_NOTICE = "pt_notice", _("Notice to the therapist")
        PT_DIGEST = "pt_digest", _("Daily digest for the therapist")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=120, unique=True)
    recipients = models.JSONField(help_text=_("E-mail addresses."))
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outboxmessage_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"
