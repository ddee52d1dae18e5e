"""Webhook receiver for community platforms: verify, deduplicate, fan out to SNS by noun (see `platforms`)."""
