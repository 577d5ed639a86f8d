"""The request pipeline every discovery-described API shares.

Discovery routes, parameter and body validation, the :class:`Call`/:class:`Reply` a method
handler receives and returns, paging, and the pipeline itself (route, authenticate, faults,
rate limits, validate, handle, log).
"""
