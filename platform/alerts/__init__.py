"""Alerts: rules on the ingest stream, one active alert per entity and rule, and delivery."""
