"""Prescriptions: the programme, the patient's logs, rule decisions, alerts and messages."""

from .choices import Ease, ExtensionEffect, ExtensionType, FrequencyPhase, NeuroChange, Stage
from .decisions import Alert, RuleEvaluation
from .logs import MorningCheck, SessionLog
from .messaging import OutboxMessage, Reminder
from .programme import (
    PrescribedStage,
    Prescription,
    StageTransition,
    StatusChange,
    ThresholdOverride,
)

__all__ = [
    "Alert",
    "Ease",
    "ExtensionEffect",
    "ExtensionType",
    "FrequencyPhase",
    "MorningCheck",
    "NeuroChange",
    "OutboxMessage",
    "PrescribedStage",
    "Prescription",
    "Reminder",
    "RuleEvaluation",
    "SessionLog",
    "Stage",
    "StageTransition",
    "StatusChange",
    "ThresholdOverride",
]
