"""Storage: connections, migrations and the embedded development server."""
