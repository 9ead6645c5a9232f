"""Fixing findings in place: the mechanical part of a port, one finding at a time.

:func:`fix_source` is the pure core (text in, text out) that the CLI, notebooks, stdin
and editor code actions share; :func:`write_fixed_source` is the only place that writes
a user's file. Every other byte of a file is kept: fixes are libcst node replacements,
and libcst reproduces every untouched node exactly.
"""

from __future__ import annotations

from portcheck.fix.source import FindingFilter, FixOutcome, fix_source
from portcheck.fix.write import write_fixed_source

__all__ = ["FindingFilter", "FixOutcome", "fix_source", "write_fixed_source"]
