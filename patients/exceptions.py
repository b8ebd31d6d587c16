"""Errors the patient services raise, with the messages people see."""


class PatientError(Exception):
    """A request about a patient record that cannot be carried out as asked."""


class IntakeInvalid(PatientError):
    """The intake cannot be stored as entered."""

    ANSWERS = "The ODI needs ten answers, each 0–5 or left blank."
    RED_FLAGS = "Answer every red-flag question yes or no."
    REASON = "Say why: a reason is required."
    NO_EMAIL = "Add the patient's e-mail address before sending the invitation."
    SELF_DEACTIVATE = "You cannot deactivate your own account; ask another clinic admin."
    EMAIL_TAKEN = "An account already uses this e-mail address; contact support to link it."
