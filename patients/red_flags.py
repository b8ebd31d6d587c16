"""The red-flag questions (clinical spec 2.6), worded for patients, and how answers are read.

Keys are stable: answers are stored verbatim under them, so a key never changes meaning.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Question:
    """One yes/no screening question."""

    key: str
    text: str | Promise


# Daily screen, asked before the first set of each day. Items 1–3 → R-RED-1, item 4 → R-RED-2.
# Adapted from the plain-language cauda equina questions (R26).
DAILY_CES = (
    Question(
        "ces_saddle",
        _(
            "Is there numbness, tingling or a changed feeling around your back "
            "passage, genitals or inner thighs, or when you wipe?"
        ),
    ),
    Question(
        "ces_bladder",
        _(
            "Is passing urine different: hard to start or stop, a weaker "
            "flow, leaking, or not feeling when your bladder is full or empty?"
        ),
    ),
    Question(
        "ces_bowel", _("Have you lost control of your bowels, or not felt a bowel movement happen?")
    ),
    Question(
        "ces_legs",
        _("Is there new weakness in a leg or foot, or pain or numbness that is now in both legs?"),
    ),
)
# Weekly and intake: the daily four plus sexual function (R-RED-1) and the systemic items.
SEXUAL_FUNCTION = Question(
    "ces_sexual", _("Has sexual function or feeling in the genitals changed recently?")
)
SYSTEMIC = (
    Question("fever", _("Fever, chills or sweats without another explanation?")),
    Question("weight_loss", _("Weight loss you cannot explain?")),
    Question(
        "night_pain", _("New pain at night that is constant and not eased by changing position?")
    ),
    Question(
        "trauma",
        _(
            "A recent fall or injury (even a minor one if you have weak bones or "
            "take steroid tablets)?"
        ),
    ),
    Question("cancer_history", _("A history of cancer, with this pain being new?")),
    Question("immunosuppression", _("A weakened immune system, or injecting drugs?")),
)
INTAKE_ONLY = (
    Question("onset_age", _("Did this back pain first start before age 20 or after age 50?")),
)

CES_KEYS = tuple(q.key for q in (*DAILY_CES, SEXUAL_FUNCTION))
SYSTEMIC_KEYS = tuple(q.key for q in (*SYSTEMIC, *INTAKE_ONLY))
INTAKE_QUESTIONS = (*DAILY_CES, SEXUAL_FUNCTION, *SYSTEMIC, *INTAKE_ONLY)
WEEKLY_QUESTIONS = (*DAILY_CES, SEXUAL_FUNCTION, *SYSTEMIC)


def cauda_equina_positive(answers: Mapping[str, bool]) -> bool:
    """Any yes to a cauda equina item: an emergency (R25–R27)."""
    return any(answers.get(key) is True for key in CES_KEYS)


def systemic_positive(answers: Mapping[str, bool]) -> bool:
    """Any yes to a serious-pathology item: therapist review (single flags are weak, R28)."""
    return any(answers.get(key) is True for key in SYSTEMIC_KEYS)
