"""Route optimisation with OR-Tools: waste collection and night-nurse visits."""
