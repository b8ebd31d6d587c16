"""What the rules say: short texts for the PT and plain-language messages for the patient."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ._rules_model import Outcome

# Rule id -> short PT-facing text (spec 2.4-2.11, 2.8), in the order the rules are listed.
RULE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "R-RED-1": "Possible cauda equina symptoms reported; patient told to attend ED now.",
        "R-RED-2": "Progressive or bilateral neurological change.",
        "R-RED-3": "Serious-pathology screen positive; review (single flags are weak evidence).",
        "R-STOP-1": "New or worse numbness or weakness during flexion.",
        "R-STOP-2": "Severe pain with exercise.",
        "R-STOP-3": "Flexion contraindicated until PT clears.",
        "R-REG-1": "Symptoms spread further down the leg at this stage; moved to the stage before.",
        "R-REG-2": "Pain above 5/10 or rose 2 or more points after exercise.",
        "R-REG-3": "Symptoms had not settled by next morning.",
        "R-REG-4": "New stage not tolerated; returned to previous one.",
        "R-REG-5": "Flexion may not be this patient's preferred direction.",
        "R-HOLD-1": "Continue current stage.",
        "R-HOLD-2": "New back pain where there was none.",
        "R-HOLD-3": "Leg symptoms retreating, back pain up: expected in centralization.",
        "R-HOLD-4": "Pain trending up week to week.",
        "R-HOLD-5": "Disability worse by at least the MCID.",
        "R-HOLD-6": "Low adherence; progression paused.",
        "R-HOLD-7": "A painful set this week; advancement waits.",
        "R-HOLD-8": "No usable log for two weeks; review before continuing.",
        "R-ADV-1": "Easy, pain-free sets on 3+ days, settled each morning; propose next stage.",
        "R-ADV-2": "Standing flexion tolerated; start frequency taper.",
        "R-EXT-1": "Extension made symptoms worse or spread them; extension off, stage unchanged.",
        "R-FREQ-1": "Taper tolerated with mostly pain-free days; move to maintenance frequency.",
        "R-FREQ-2": "Setback during taper or maintenance; back to flare frequency.",
        "R-ODI-1": "No valid ODI; the programme cannot start.",
        "R-ODI-2": "ODI 40 or less: start at stage 1 (stage 2 allowed at 20 or less, with reason).",
        "R-ODI-3": "ODI above 40 to 60: start at stage 1 only after PT confirms an assessment.",
        "R-ODI-4": "ODI above 60 to 80: no automatic start; PT must document a plan.",
        "R-ODI-5": "ODI above 80: blocked pending PT review and red-flag re-screen.",
    }
)

# Outcome -> what the patient reads, in plain words (spec 2.4: "patients see plainer wording").
PATIENT_MESSAGES: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.URGENT_RED_FLAG: (
            "Stop doing these exercises and go to a hospital emergency department now. "
            "What you told us can mean that the nerves that control your bladder, bowel and "
            "legs are being pressed on. This must be checked within hours to protect them, so "
            "do not wait for your next appointment. Your physiotherapist has been told."
        ),
        Outcome.SUSPEND_CONTACT_PT: (
            "Please stop this exercise for now and contact your physiotherapist before you do "
            "it again. Something in your recent entries needs their check first. They have "
            "been told."
        ),
        Outcome.REGRESS_ONE: (
            "Go back one step to the easier position you did before. Your last entries show "
            "that the current step is too much for your back right now: the pain went up, "
            "spread further down your leg, or had not settled by the next morning. Going back "
            "a step is a normal part of the programme."
        ),
        Outcome.HOLD: (
            "Keep going at your current step, as many times a day as planned. You move on "
            "once this step feels easy and pain-free over several days. Well done for keeping "
            "up your entries."
        ),
        Outcome.ADVANCE_ELIGIBLE: (
            "This step is going well. Your physiotherapist will look at your entries and decide "
            "whether you are ready to move on to the next position. Keep going as you are "
            "until they tell you."
        ),
        Outcome.MAINTENANCE_ELIGIBLE: (
            "Standing exercise is going well. Your physiotherapist will look at your entries "
            "and decide whether you can start doing it fewer times a day. Keep going as you are "
            "until they tell you."
        ),
    }
)
