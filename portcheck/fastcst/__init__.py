"""The libcst fast path: the same answers as libcst's own API, computed more cheaply.

Everything here that reaches into libcst's internals lives in this package; the rest
of portcheck only calls its functions.
"""
