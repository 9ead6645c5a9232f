"""The last line of defence: an unexpected exception is one line on stderr and exit 2.

Every known failure is a diagnostic or a usage error long before it gets here; what
reaches this handler is a bug. A traceback in a CI log or a pre-commit hook helps no
one who did not write portcheck, so it becomes one line naming the file that was being
processed and asking for a report (``PORTCHECK_TRACEBACK=1`` shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback

EXIT_CODE = 2
_processing: str | None = None


def processing(display: str | None) -> None:
    """Remember the file being worked on, for the message should anything fail."""
    global _processing
    _processing = display


def report_unexpected(error: BaseException) -> str:
    """The one line that stands for an unexpected exception."""
    where = f" while processing {_processing}" if _processing else ""
    summary = traceback.format_exception_only(type(error), error)[-1].strip()
    return (
        f"portcheck: internal error{where}: {summary}; please report it "
        "(PORTCHECK_TRACEBACK=1 shows the details)"
    )


def die(error: BaseException) -> None:
    if os.environ.get("PORTCHECK_TRACEBACK"):
        traceback.print_exception(type(error), error, error.__traceback__)
    print(report_unexpected(error), file=sys.stderr)
    sys.exit(EXIT_CODE)
