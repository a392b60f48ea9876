"""Device firmware models: what each device measures, when it reports and what it sends."""
