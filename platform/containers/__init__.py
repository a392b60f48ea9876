"""Waste containers: their registration, geometry and latest state."""
