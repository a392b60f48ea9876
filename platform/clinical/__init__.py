"""Clinical rules for digital home follow-up: NEWS2, per-patient thresholds, trends, missed
measurements and the triage order. Pure functions over typed values: no I/O, no clock."""
