"""Gateway infrastructure: settings, database engine, metrics, log masking of personal data."""
