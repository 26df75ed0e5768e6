"""What can go wrong in the rules, as exceptions. The HTTP edge maps each to a status."""


class DomainError(Exception):
    """Base of every error the rules raise; its message is meant for the caller."""

    @property
    def detail(self) -> str:
        return str(self.args[0])


class NotFound(DomainError):
    """No such thing in the actor's organization (another organization's answers the same)."""


class InvalidValue(DomainError):
    """A value the contract's schema allows but a rule refuses (422); name says where it is,
    as ``body.<field>``. Nothing was changed."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name


class PreconditionFailed(DomainError):
    """A conditional write whose condition does not hold; nothing was changed."""


class Conflict(DomainError):
    """Another request is doing the same thing right now; retrying shortly may work. Nothing
    was changed."""


class StorageUnavailable(DomainError):
    """The store cannot answer now (unreachable, or too busy); retrying later may work."""

    def __init__(self, reason: str) -> None:
        super().__init__("The database cannot be reached right now; retry later.")
        self.reason = reason


class OverBudget(StorageUnavailable):
    """A statement ran past the time each is allowed, and was ended: it changed nothing, and
    held no connection longer. Retrying later, when the database is less busy, may work."""

    def __init__(self, budget_s: float) -> None:
        DomainError.__init__(
            self,
            f"The database did not answer within the {budget_s:g} s a statement is allowed;"
            " nothing was changed. Retry later.",
        )
        self.reason = f"the statement ran past its budget of {budget_s:g} s"
