"""Errors the programme services raise, with the messages people see."""


class PrescriptionError(Exception):
    """A request about a programme that cannot be carried out as asked."""


class ReasonRequired(PrescriptionError):
    MESSAGE = "Say why: this action needs a reason, which is kept with the record."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class StartBlocked(PrescriptionError):
    """The ODI gate or a safety flag does not let this programme start as asked."""

    NO_VALID_ODI = "The programme cannot start without a valid ODI (at least 9 sections answered)."
    ASSESSMENT_NEEDED = "ODI above 40%: confirm your assessment before starting."
    PLAN_NEEDED = "ODI above 60%: document a plan in the intake before starting."
    BLOCKED = "ODI above 80%: review the patient and repeat the red-flag screen first."
    STAGE_NOT_ALLOWED = "With this ODI the programme may start at stage {allowed} only."
    STAGE_2_NEEDS_REASON = "Starting at stage 2 is an override: give a reason."
    CONTRAINDICATION = "Flexion is contraindicated until you clear the intake flag."
    RED_FLAG = "A red-flag answer is not yet cleared: review it before starting."
    NO_INTAKE = "Record an intake before prescribing."
    ALREADY_RUNNING = "This patient already has a running programme."
    PROTOCOL = "Choose a published protocol with stages 1 to 3."


class LogRefused(PrescriptionError):
    """A log that cannot be stored; nothing was stored."""

    NO_PROGRAMME = "There is no running programme to log against."
    SUSPENDED = "Your programme is on hold for safety. Please contact your physiotherapist."
    PAUSED = "Your programme is paused, so sets are not being logged right now."
    FUTURE = "The start time is in the future."
    TOO_OLD = "Sets more than 7 days old cannot be logged; tell your physiotherapist instead."
    DUPLICATE_MORNING = "Today's morning check is already done."
    INVALID = "Check the answers: {detail}"


class TransitionRefused(PrescriptionError):
    """A stage or status change that the programme does not allow."""

    STAGE = "A programme moves one stage at a time: {from_stage} → {to_stage} is not allowed."
    STATUS = "A {from_status} programme cannot become {to_status}."
    STALE = "This proposal no longer matches the programme; it has moved on since."


class OverrideRefused(PrescriptionError):
    UNKNOWN = "“{name}” is not a rule threshold that can be changed."
    INVALID = "That value is not allowed for {name}: {detail}"


class PauseLinkInvalid(PrescriptionError):
    """The pause link in a reminder e-mail was changed or is too old."""

    MESSAGE = "This link has expired or is not valid. Sign in to change your reminders."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)
