"""Developer kit: run the receiver locally against an emulated AWS built from template.yaml.

Nothing here is deployed; the Lambda package is `src/handler` alone.
"""
