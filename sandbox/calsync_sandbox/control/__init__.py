"""The control surface under ``/_sandbox/``: the HTTP routes and the Python client.

Tests and the local stack seed the world, inject faults, move the clock and read the logs
through it; ``docs/sandbox.md`` lists every call.
"""
