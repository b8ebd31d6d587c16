"""Every change to a programme's clinical state goes through these services."""

from .actions import (
    advance_approve,
    alert_acknowledge,
    maintenance_approve,
    prescription_set_status,
    proposal_decline,
    suspension_clear,
    threshold_override_set,
)
from .evaluation import EvaluationResult, prescription_evaluate
from .logs import SessionEntry, morning_check_create, session_log_create, session_log_edit
from .preferences import reminder_preferences_update, reminders_pause_by_token
from .prescribing import StageDose, prescription_create, start_stage_check
from .screens import weekly_screen_create

__all__ = [
    "EvaluationResult",
    "SessionEntry",
    "StageDose",
    "advance_approve",
    "alert_acknowledge",
    "maintenance_approve",
    "morning_check_create",
    "prescription_create",
    "prescription_evaluate",
    "prescription_set_status",
    "proposal_decline",
    "reminder_preferences_update",
    "reminders_pause_by_token",
    "session_log_create",
    "session_log_edit",
    "start_stage_check",
    "suspension_clear",
    "threshold_override_set",
    "weekly_screen_create",
]
