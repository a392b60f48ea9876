"""Broker configuration and device credential provisioning."""
