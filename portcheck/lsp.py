"""``portcheck lsp``: findings and safe fixes in the editor, over the Language Server Protocol.

Editors speak LSP, so one stdio server serves VS Code, Neovim, Helix, Emacs and the
rest. Each open Python file (and each manifest or ``.cu`` file) is analysed from the
editor's buffer, unsaved edits included, on open, change and save; every finding
becomes an LSP diagnostic carrying its rule, category and suggestion. The code actions
are the safe fixes of ``portcheck check --fix``: one per fixable finding under the
cursor and one "fix all", each a set of line edits to the buffer.

Analyses and fixes run on threads of their own (each waits for the forked child that
does the work), never on the event loop: a buffer that takes seconds to analyse does not
keep the server from reading the next message or answering another request. Each works
on a copy of the buffer taken when it starts, and its diagnostics are published only if
the buffer is still that copy when it ends (a newer one is then on its way).

This module needs the optional ``lsp`` extra (pygls); nothing else imports it.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import json
import logging
import re
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol
from pygls.workspace import TextDocument

from portcheck import __version__
from portcheck.analyze import Analyzer
from portcheck.discover import SourceFile, display_path, file_kind
from portcheck.filter import FilterOptions, FixableFindings, filter_results
from portcheck.fix import fix_source
from portcheck.fix.source import FindingFilter, FixOutcome
from portcheck.isolate import run_isolated
from portcheck.model import FileResult, Finding
from portcheck.schedule import crash_diagnostic
from portcheck.source import SourceText

SOURCE = "portcheck"
SEVERITY = {
    "blocker": lsp.DiagnosticSeverity.Error,
    "rewrite": lsp.DiagnosticSeverity.Warning,
    "caution": lsp.DiagnosticSeverity.Warning,
    "auto": lsp.DiagnosticSeverity.Information,
}
"""A blocker has no Ascend path at all; an ``auto`` finding is one code action away."""

FIX_ALL_KIND = f"{lsp.CodeActionKind.SourceFixAll.value}.{SOURCE}"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
DEBOUNCE_SECONDS = 0.3
"""An edit analysed this long after the last keystroke: a burst of changes is one analysis,
of the newest version (each analysis forks and parses the whole buffer)."""
ANALYSIS_THREADS = 2
"""Analyses and fixes at once: each thread only waits for its forked child, so two keep
a slow buffer from delaying every other one without forking one child per message."""
CONTENT_LENGTH = re.compile(rb"content-length:[ \t]*(\d{1,10})", re.IGNORECASE)
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""A larger Content-Length is not believed: the header is dropped and the reader looks for
the next one, instead of waiting forever for bytes that never come."""
MAX_HEADER_LINE = 64 * 1024
logger = logging.getLogger(__name__)


class PortcheckServer(LanguageServer):
    """A pygls server with the rules, knowledge and filters of ``portcheck check`` here.

    Paths are named relative to the server's working directory, the workspace root an
    editor starts it in, so per-file ignores and the baseline match as in CI.
    """

    def __init__(self, analyzer: Analyzer, options: FilterOptions) -> None:
        super().__init__(SOURCE, __version__)
        self.analyzer = analyzer
        self.options = options
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.analysis = ThreadPoolExecutor(ANALYSIS_THREADS, thread_name_prefix="portcheck")

    def publish_soon(self, uri: str) -> None:
        """Analyse ``uri`` once no change has come for :data:`DEBOUNCE_SECONDS`."""
        self.cancel_pending(uri)
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(DEBOUNCE_SECONDS, self._publish_pending, uri)

    def cancel_pending(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    def _publish_pending(self, uri: str) -> None:
        self.pending.pop(uri, None)
        if uri in self.workspace.text_documents:  # closed meanwhile: nothing to say
            self.publish(uri)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls's stdio loop, with a reader that survives a bad message (see
        :func:`read_messages`)."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        stream = stdin or sys.stdin.buffer
        try:
            asyncio.run(read_messages(self._stop_event, stream, self.protocol, self.thread_pool))
        except (BrokenPipeError, KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.analysis.shutdown(wait=False, cancel_futures=True)
            self.shutdown()

    def source_file(self, document: TextDocument) -> SourceFile | None:
        """The file behind an editor buffer; None for what portcheck does not check here."""
        if document.path is None:
            return None
        path = Path(document.path)
        display = display_path(path, Path.cwd())
        kind = file_kind(display)  # the path, not the name: requirements/cuda.txt
        if kind not in ("python", "text", "requirements"):
            return None  # notebooks reach a server cell by cell: checked by the CLI instead
        return SourceFile(path, display, kind)

    def findings(self, document: TextDocument) -> list[Finding]:
        source_file = self.source_file(document)
        if source_file is None:
            return []
        text = document.source
        source = SourceText(text, text.encode("utf-8", "surrogatepass"), "utf-8")
        result = run_isolated(  # libcst's native parser may crash: not the server
            lambda: self.analyzer.analyze_text(source_file, source),
            lambda: FileResult(source_file.display, diagnostics=[crash_diagnostic(source_file)]),
        )
        return list(filter_results([result], self.options).findings)

    def diagnostics(self, document: TextDocument) -> list[lsp.Diagnostic]:
        return [to_diagnostic(document, finding) for finding in self.findings(document)]

    def publish(self, uri: str) -> None:
        """Analyse the buffer of ``uri`` as it is now, off the event loop."""
        snapshot = _snapshot(self.workspace.get_text_document(uri))
        future = asyncio.get_running_loop().run_in_executor(
            self.analysis, self.diagnostics, snapshot
        )
        future.add_done_callback(functools.partial(self._published, snapshot))

    def _published(self, snapshot: TextDocument, future: asyncio.Future[Any]) -> None:
        uri = snapshot.uri
        if future.cancelled() or uri not in self.workspace.text_documents:
            return  # shut down, or closed meanwhile: nothing to say
        if future.exception() is not None:
            logger.error("cannot analyse %s", uri, exc_info=future.exception())
            return
        current = self.workspace.get_text_document(uri)
        if (current.version, current.source) != (snapshot.version, snapshot.source):
            return  # edited meanwhile: the newer buffer's analysis publishes
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri, diagnostics=future.result(), version=snapshot.version
            )
        )

    async def code_actions_off_loop(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        """:meth:`code_actions` on a copy of the buffer, off the event loop."""
        snapshot = _snapshot(self.workspace.get_text_document(params.text_document.uri))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.analysis, self.code_actions, params, snapshot)

    def code_actions(
        self, params: lsp.CodeActionParams, document: TextDocument
    ) -> list[lsp.CodeAction]:
        """A quick fix per fixable finding in the request, and "fix all" with them.

        Editors ask for code actions whenever the cursor moves: "fix all" is computed
        only when a fixable finding is at the cursor or when it is asked for by kind. A
        finding whose fix goes with others (an aliased import and its uses) has no quick
        fix of its own; "fix all" makes it.
        """
        source_file = self.source_file(document)
        if source_file is None or source_file.kind != "python":
            return []
        only = params.context.only
        fixable = [
            (diagnostic, at)
            for diagnostic in params.context.diagnostics
            if (at := _FindingAt.from_data(diagnostic)) is not None
        ]
        actions: list[lsp.CodeAction] = []
        if _wanted(lsp.CodeActionKind.QuickFix.value, only):
            for diagnostic, at in fixable:
                outcome = self._fix(source_file, document.source, at)
                if outcome is not None and outcome.changed:
                    title = f"portcheck: fix {at.rule} ({outcome.fixed[0].api})"
                    kind = lsp.CodeActionKind.QuickFix
                    actions.append(_action(title, kind, document, outcome.text, diagnostic))
        if (fixable or only) and _wanted(FIX_ALL_KIND, only):
            keep = FixableFindings(self.options)
            outcome = self._fix(source_file, document.source, keep)
            if outcome is not None and outcome.changed:
                title = f"portcheck: apply all {len(outcome.fixed)} safe fixes"
                actions.append(_action(title, FIX_ALL_KIND, document, outcome.text))
        return actions

    def _fix(self, source_file: SourceFile, text: str, keep: FindingFilter) -> FixOutcome | None:
        """The fixed buffer, or None if fixing it killed the process it ran in."""
        return run_isolated(
            lambda: fix_source(self.analyzer, source_file.display, text, keep=keep),
            lambda: None,
        )


def _snapshot(document: TextDocument) -> TextDocument:
    """A copy of an editor buffer that later changes to the buffer do not reach."""
    return TextDocument(
        document.uri,
        document.source,
        document.version,
        document.language_id,
        position_codec=document.position_codec,
    )


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for ``source`` includes ``source.fixAll.portcheck``."""
    if not only:
        return True
    asked = [getattr(value, "value", value) for value in only]
    return any(kind == prefix or kind.startswith(f"{prefix}.") for prefix in asked)


def to_diagnostic(document: TextDocument, finding: Finding) -> lsp.Diagnostic:
    """One finding as the editor shows it: rule as the code, category first, then the help."""
    points = lsp.Range(
        start=lsp.Position(line=finding.line - 1, character=finding.column - 1),
        end=lsp.Position(line=finding.end_line - 1, character=finding.end_column - 1),
    )
    message = f"[{finding.category}] {finding.message}"
    if finding.suggestion:
        message += f"\nhelp: {finding.suggestion}"
    return lsp.Diagnostic(
        # pygls's codec takes an LSP range too; TextDocument's annotation forgets it
        range=document.range_to_client_units(points),  # type: ignore[arg-type]
        message=message,
        severity=SEVERITY[finding.category],
        code=finding.rule,
        source=SOURCE,
        data={
            "rule": finding.rule,
            "api": finding.api,
            "category": finding.category,
            "fixable": finding.fixable,
            "line": finding.line,
            "column": finding.column,
        },
    )


@dataclass(frozen=True)
class _FindingAt:
    """The filter that keeps one finding only, so a quick fix changes nothing else."""

    rule: str
    line: int
    column: int

    @classmethod
    def from_data(cls, diagnostic: lsp.Diagnostic) -> _FindingAt | None:
        data = diagnostic.data
        if diagnostic.source != SOURCE or not isinstance(data, dict) or not data.get("fixable"):
            return None
        try:
            return cls(str(data["rule"]), int(data["line"]), int(data["column"]))
        except (KeyError, TypeError, ValueError):
            return None

    def __call__(self, text: str, findings: Sequence[Finding]) -> list[Finding]:
        return [
            finding
            for finding in findings
            if (finding.rule, finding.line, finding.column) == (self.rule, self.line, self.column)
        ]


def _action(
    title: str,
    kind: str,
    document: TextDocument,
    fixed: str,
    diagnostic: lsp.Diagnostic | None = None,
) -> lsp.CodeAction:
    edit = lsp.WorkspaceEdit(changes={document.uri: line_edits(document.source, fixed)})
    return lsp.CodeAction(
        title=title,
        kind=kind,
        diagnostics=[diagnostic] if diagnostic else None,
        is_preferred=diagnostic is not None,
        edit=edit,
    )


def line_edits(before: str, after: str) -> list[lsp.TextEdit]:
    """The smallest whole-line edits from ``before`` to ``after`` (no column arithmetic)."""
    old, new = _LINE.findall(before), _LINE.findall(after)
    edits: list[lsp.TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        span = lsp.Range(
            start=lsp.Position(line=old_start, character=0),
            end=lsp.Position(line=old_end, character=0),
        )
        edits.append(lsp.TextEdit(range=span, new_text="".join(new[new_start:new_end])))
    return edits


def create_server(analyzer: Analyzer, options: FilterOptions) -> PortcheckServer:
    server = PortcheckServer(analyzer, options)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PortcheckServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PortcheckServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.publish_soon(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PortcheckServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.publish_soon(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PortcheckServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.cancel_pending(params.text_document.uri)
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(
        ls: PortcheckServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction]:
        return await ls.code_actions_off_loop(params)

    return server


async def read_messages(
    stop: threading.Event, stream: BinaryIO, protocol: JsonRPCProtocol, pool: Any
) -> None:
    """Read JSON-RPC messages from ``stream`` until it ends, whatever arrives.

    pygls's own loop takes a header only as a whole line and trusts its length: a message
    without a valid ``Content-Length`` glues its body to the next header, and every later
    message is lost (the server lives on, deaf). Here a header is found anywhere in a line,
    an unbelievable length is dropped, a body that is not JSON is answered with a parse
    error and a request whose params do not fit its method with an invalid-params error.
    """
    loop = asyncio.get_running_loop()
    length: int | None = None
    while not stop.is_set():
        line: bytes = await loop.run_in_executor(pool, stream.readline, MAX_HEADER_LINE)
        if not line:
            return
        if line.strip():
            match = CONTENT_LENGTH.search(line)
            if match is not None:
                value = int(match.group(1))
                length = value if value <= MAX_MESSAGE_BYTES else None
            continue
        if length is None:
            continue
        body: bytes = await loop.run_in_executor(pool, stream.read, length)
        if len(body) < length:
            return
        length = None
        _handle(protocol, body)


def _handle(protocol: JsonRPCProtocol, body: bytes) -> None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        _send_error(protocol, None, JsonRpcParseError())
        return
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except JsonRpcException as error:
        is_request = isinstance(data, dict) and "method" in data and "id" in data
        if is_request and isinstance(data["id"], (int, str)):
            _send_error(protocol, data["id"], error)
        return
    except (ValueError, RecursionError):  # deep JSON a structure hook gives up on
        _send_error(protocol, None, JsonRpcInvalidParams())
        return
    try:
        protocol.handle_message(message)
    except Exception:  # a bad message costs itself, never the server
        logger.exception("cannot handle a message")


def _send_error(
    protocol: JsonRPCProtocol, message_id: int | str | None, error: JsonRpcException
) -> None:
    protocol._send_data(
        {
            "jsonrpc": "2.0",
            "id": message_id,
            "error": {"code": error.code, "message": error.message},
        }
    )


def serve(analyzer: Analyzer, options: FilterOptions) -> None:
    """Serve over stdin/stdout until the editor says ``exit``."""
    create_server(analyzer, options).start_io()
