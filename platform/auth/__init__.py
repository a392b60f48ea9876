"""Sign-in, roles and the audit of patient-data reads."""
