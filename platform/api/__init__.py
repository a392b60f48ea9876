"""The HTTP API (FastAPI) and the web pages it serves."""
