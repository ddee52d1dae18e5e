"""Operator commands against a deployed stack: `webhooks-ops redrive` and `webhooks-ops replay`.

Production operations, apart from the request path (`src/handler`) and from the developer kit
(`devkit`, local runs only). The stack's outputs name a managed policy for each.
"""
