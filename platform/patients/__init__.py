"""Patients in digital home follow-up: their latest state, triage and thresholds."""
