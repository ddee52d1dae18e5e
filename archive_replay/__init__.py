"""Replay archived webhook events to one subscriber or to the stack's topics.

Run as `python -m archive_replay --help`. It needs boto3 and AWS credentials, and nothing of the
receiver: it reads the archive bucket, never the dedupe table, so a replay is never swallowed as a
duplicate and never changes what the receiver remembers.
"""
