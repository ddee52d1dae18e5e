"""The benchmark: the receiver measured as a Lambda user pays for it, against the floor in floor.py."""
