"""What planning reports to its callers instead of a plan."""


class NoShift(LookupError):
    """The nurse has no night shift now or later, or a shift has no nurses."""


class PlanRejected(RuntimeError):
    """The solver's plan broke a rule the independent checker knows; it is not served."""
