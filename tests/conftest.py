"""Shared fixtures: real PostgreSQL and real MQTT brokers, started here on free ports."""

pytest_plugins = ["fix_db", "fix_mqtt", "fix_auth", "fix_server", "fix_drills"]
