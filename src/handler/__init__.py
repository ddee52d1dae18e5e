"""Webhook receiver for Bettermode (formerly Tribe): verify, deduplicate, fan out to SNS by noun."""
