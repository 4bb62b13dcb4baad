"""Code every Propos4l service shares: settings, event schemas, delivery over Redis Streams, storage."""
