"""The edge agent that runs on a home hub or ward gateway."""
