"""Ingest: MQTT messages in, rows out, exactly once, with every rejection kept and explained."""
