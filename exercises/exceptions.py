"""Errors the catalog services raise, with the messages clinic admins see."""


class CatalogError(Exception):
    """A change to the catalog that cannot be carried out as asked."""


class ExerciseReadOnly(CatalogError):
    """A shipped exercise: clinics use it but cannot change or retire it."""

    MESSAGE = "Shipped exercises are read-only: add your own exercise instead."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class ProtocolReadOnly(CatalogError):
    """A protocol version that cannot be changed as asked."""

    SHIPPED = "Shipped protocols are read-only: make a clinic copy to change one."
    NOT_DRAFT = "Only a draft can be changed; make a new version of a published protocol."
    NOT_PUBLISHED = "Only a published protocol can be given a new version."
    NOT_SHIPPED = "Only a shipped protocol can be copied into the clinic."
    DRAFT_EXISTS = "A draft of this protocol already exists: edit or publish it first."


class ProtocolInvalid(CatalogError):
    """A protocol whose stages are not ready as entered."""

    STAGES = "A protocol can be published only with exactly three stages: 1, 2 and 3."
    EXERCISE = "Choose exercises from your clinic's catalog."
    STAGE_COUNT = "Enter all three stages: 1, 2 and 3."
