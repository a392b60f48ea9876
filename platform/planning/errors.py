"""What planning reports to its callers instead of a plan."""


class NoShift(LookupError):
    """The nurse has no night shift now or later, or a shift has no nurses."""


class PlanRejected(RuntimeError):
    """The solver's plan broke a rule the independent checker knows; it is not served."""


class NoPlanFound(RuntimeError):
    """The solver found no plan within its budget where none is in force: nothing is stored,
    so the next look (a nurse's, or the night sweep's) tries again."""
