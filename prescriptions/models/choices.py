"""Database choices for the clinical vocabulary.

Values equal the member names of the enums in ``prescriptions.rules`` so that the services can
translate with ``rules.Ease[log.ease]``; a test keeps the two in step.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.IntegerChoices):
    """The three positions of the flexion progression, lowest load first (R2, R7)."""

    SUPINE = 1, _("Stage 1 · lying")
    SEATED = 2, _("Stage 2 · sitting")
    STANDING = 3, _("Stage 3 · standing")


class FrequencyPhase(models.TextChoices):
    """How often a day the programme asks for a set (clinical spec 2.5)."""

    FLARE = "FLARE", _("Flare (several a day)")
    TAPER = "TAPER", _("Taper (twice a day)")
    MAINTENANCE = "MAINTENANCE", _("Maintenance (once a day)")


class Ease(models.TextChoices):
    """How hard the patient found the set."""

    EASY = "EASY", _("Easy")
    MANAGEABLE = "MANAGEABLE", _("Manageable")
    HARD = "HARD", _("Hard")
    NOT_COMPLETED = "NOT_COMPLETED", _("Could not finish")


class NeuroChange(models.TextChoices):
    """New or worse nerve symptoms noticed during the set."""

    NONE = "NONE", _("None")
    NUMBNESS = "NUMBNESS", _("New or worse numbness or tingling")
    WEAKNESS = "WEAKNESS", _("New or worse weakness")


class ExtensionType(models.TextChoices):
    """The counter-movement done after the flexion set, if the plan includes one."""

    PRONE_PRESS_UP = "PRONE_PRESS_UP", _("Press-up lying on the front")
    STANDING_BACKBEND = "STANDING_BACKBEND", _("Standing backbend")


class ExtensionEffect(models.TextChoices):
    """What the counter-movement did to the symptoms."""

    BETTER = "BETTER", _("Better")
    SAME = "SAME", _("Same")
    WORSE = "WORSE", _("Worse")
    PERIPHERALIZED = "PERIPHERALIZED", _("Spread further down the leg")
