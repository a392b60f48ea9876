"""Tilsyn: an open IoT and sensor platform for municipal welfare and city operations."""

__version__ = "0.1.0"
