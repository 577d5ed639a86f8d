"""Developer tooling: the local stack, the demo scenario and operator commands."""
