"""`portcheck lsp` driven as an editor drives it: the real server process over stdio.

Every message is written by hand with its Content-Length header, so the test checks
the wire protocol itself, not a client library's idea of it. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Callable

import pytest

pytest.importorskip("pygls", reason="the lsp extra is not installed")

TIMEOUT = 30.0
SERVER = [sys.executable, "-c", "from portcheck.cli import main; main()", "lsp"]
SOURCE = 'import torch\nlabel = "😀"; torch.cuda.synchronize()\nx = torch.ones(2).cuda()\n'


class Client:
    """A minimal LSP client: JSON-RPC over the server's stdin/stdout."""

    def __init__(self, cwd: Path, command: list[str] = SERVER) -> None:
        self.process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.last_id = 0
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            headers: dict[str, str] = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                return
            body = stream.read(int(headers["content-length"]))
            self.inbox.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self.last_id += 1
        request_id = self.last_id
        self.send({"id": request_id, "method": method, "params": params})
        answer = self.wait(lambda message: message.get("id") == request_id, method)
        assert "error" not in answer, answer
        return answer["result"]

    def wait(self, wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        while True:
            try:
                message = self.inbox.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no {what} from the server within {TIMEOUT}s")
            if wanted(message):
                return message

    def diagnostics(self, uri: str, version: int) -> list[dict[str, Any]]:
        notification = self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and m["params"].get("version") == version
            ),
            f"diagnostics for version {version}",
        )
        return notification["params"]["diagnostics"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for the tests that share a server; each opens a file of its own."""
    return tmp_path_factory.mktemp("workspace")


@contextlib.contextmanager
def _server(workspace: Path) -> Iterator[Client]:
    """A server started in ``workspace`` (it reads the configuration there) and initialised."""
    client = Client(workspace)
    try:
        capabilities = client.request(
            "initialize",
            {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {}},
        )["capabilities"]
        assert capabilities["codeActionProvider"]
        client.notify("initialized", {})
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def client(workspace: Path) -> Iterator[Client]:
    with _server(workspace) as client:
        yield client


def _open(client: Client, path: Path, text: str) -> list[dict[str, Any]]:
    document = {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": document})
    return client.diagnostics(path.as_uri(), 1)


def _apply(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply whole-line TextEdits (what the server sends) the way an editor does."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e["range"]["start"]["line"], reverse=True):
        start, end = edit["range"]["start"], edit["range"]["end"]
        assert start["character"] == end["character"] == 0
        lines[start["line"] : end["line"]] = [edit["newText"]]
    return "".join(lines)


def test_opened_file_gets_diagnostics_with_rule_category_and_suggestion(
    client: Client, workspace: Path
) -> None:
    diagnostics = _open(client, workspace / "opened.py", SOURCE)

    by_code = {d["data"]["api"]: d for d in diagnostics}
    synchronize = by_code["torch.cuda.synchronize"]
    assert (synchronize["code"], synchronize["source"]) == ("PC001", "portcheck")
    assert synchronize["message"].startswith("[auto] `torch.cuda.synchronize`")
    assert "\nhelp: Use `torch.npu.synchronize`" in synchronize["message"]
    assert synchronize["severity"] == 3  # Information: an auto finding is one action away
    # "😀" is one code point but two UTF-16 code units, LSP's default position encoding.
    assert synchronize["range"] == {
        "start": {"line": 1, "character": 14},
        "end": {"line": 1, "character": 36},
    }
    assert "torch.Tensor.cuda" in by_code


def test_a_requirements_file_known_by_its_directory_gets_diagnostics(
    client: Client, workspace: Path
) -> None:
    diagnostics = _open(client, workspace / "requirements" / "cuda.txt", "numpy\nflash-attn\n")
    assert [(d["code"], d["data"]["api"], d["range"]["start"]["line"]) for d in diagnostics] == [
        ("PC009", "flash-attn", 1)
    ]


def test_code_action_returns_the_safe_fix_as_a_workspace_edit(
    client: Client, workspace: Path
) -> None:
    path = workspace / "action.py"
    diagnostics = _open(client, path, SOURCE)
    synchronize = next(d for d in diagnostics if d["data"]["api"] == "torch.cuda.synchronize")

    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": path.as_uri()},
            "range": synchronize["range"],
            "context": {"diagnostics": [synchronize]},
        },
    )

    quick_fix, fix_all = actions
    assert quick_fix["kind"] == "quickfix" and quick_fix["isPreferred"] is True
    assert quick_fix["diagnostics"] == [synchronize]
    fixed_one = _apply(SOURCE, quick_fix["edit"]["changes"][path.as_uri()])
    assert "torch.npu.synchronize()" in fixed_one
    assert "torch.ones(2).cuda()" in fixed_one  # a quick fix touches its own finding only
    assert fix_all["kind"] == "source.fixAll.portcheck"
    fixed_all = _apply(SOURCE, fix_all["edit"]["changes"][path.as_uri()])
    assert "torch.ones(2).npu()" in fixed_all and "torch.npu.synchronize()" in fixed_all


def test_edits_are_checked_again_and_close_clears_diagnostics(
    client: Client, workspace: Path
) -> None:
    path = workspace / "edited.py"
    _open(client, path, SOURCE)

    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": path.as_uri(), "version": 2},
            "contentChanges": [{"text": "import torch\ntorch.npu.synchronize()\n"}],
        },
    )
    assert client.diagnostics(path.as_uri(), 2) == []
    client.notify("textDocument/didClose", {"textDocument": {"uri": path.as_uri()}})
    cleared = client.wait(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == path.as_uri()
        ),
        "cleared diagnostics",
    )
    assert cleared["params"]["diagnostics"] == []


def test_suppression_comments_and_config_apply_in_the_editor(tmp_path: Path) -> None:
    workspace = tmp_path
    (workspace / "pyproject.toml").write_text('[tool.portcheck]\nignore = ["PC005"]\n')
    text = (
        "import os, torch\n"
        "torch.cuda.synchronize()  # portcheck: ignore[PC001]\n"
        "x.cuda()\n"
        'os.environ["CUDA_VISIBLE_DEVICES"] = "0"\n'
    )
    path = workspace / "other.py"
    with _server(workspace) as client:
        diagnostics = _open(client, path, text)
        (fix_all,) = client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": path.as_uri()},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll"]},
            },
        )

    assert [d["code"] for d in diagnostics] == ["PC002"]
    fixed = _apply(text, fix_all["edit"]["changes"][path.as_uri()])
    assert "x.npu()" in fixed
    assert "torch.cuda.synchronize()  # portcheck: ignore[PC001]" in fixed
    assert "CUDA_VISIBLE_DEVICES" in fixed


def test_shutdown_and_exit_end_the_server(tmp_path: Path) -> None:
    client = Client(tmp_path)
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        assert client.request("shutdown") is None
        client.notify("exit")
        assert client.process.wait(timeout=TIMEOUT) == 0
    finally:
        client.close()


def test_without_pygls_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    blocked = "import sys; sys.modules['pygls'] = None; from portcheck.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", blocked, "lsp"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert result.returncode == 2
    assert "pip install 'portcheck[lsp]'" in result.stderr


def test_check_never_imports_the_language_server(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import torch\ntorch.cuda.synchronize()\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from portcheck.cli import main\n"
        "CliRunner().invoke(main, ['check', '--exit-zero', 'a.py'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')"
        " or m == 'portcheck.lsp'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.strip() == "[]", result.stderr


def test_a_finding_fixed_only_with_others_is_offered_fix_all(
    client: Client, workspace: Path
) -> None:
    path = workspace / "alias.py"
    text = "import torch.cuda as tc\ntc.synchronize()\n"
    diagnostics = _open(client, path, text)
    alias_import = next(d for d in diagnostics if d["range"]["start"]["line"] == 0)

    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": path.as_uri()},
            "range": alias_import["range"],
            "context": {"diagnostics": [alias_import]},
        },
    )

    assert [action["kind"] for action in actions] == ["source.fixAll.portcheck"]
    fixed = _apply(text, actions[0]["edit"]["changes"][path.as_uri()])
    assert fixed.startswith("import torch_npu.npu as tc\n")


def _raw(client: Client, data: bytes) -> None:
    assert client.process.stdin is not None
    client.process.stdin.write(data)
    client.process.stdin.flush()


def _answer(client: Client, request_id: int) -> dict[str, Any]:
    return client.wait(lambda message: message.get("id") == request_id, f"answer {request_id}")


def test_bad_headers_and_bodies_neither_crash_nor_deafen_the_server(tmp_path: Path) -> None:
    """pygls's reader glued the body of a message without a valid Content-Length to the
    next header, and every later message was lost; each case here is followed by a
    request that must still be answered."""
    hostile = [
        b'Content-Lenght: 20\r\n\r\n{"jsonrpc": "2.0"}',  # misspelt: no length at all
        b'\r\n\r\n{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}',  # no header
        b"Content-Length: abc\r\n\r\nxyz",
        b"Content-Length: 99999999999999999999\r\n\r\n{}",  # more than could ever come
        b"Content-Length: 5\r\n\r\n{not json}",  # too short: the rest is garbage
        b"Content-Length: 8\r\n\r\nnot json",
        b"Content-Length: 4000\r\n\r\n" + b"[" * 2000 + b"]" * 2000,  # deep JSON
    ]
    with _server(tmp_path) as client:
        for number, data in enumerate(hostile):
            _raw(client, data)
            if data.endswith(b"not json"):
                error = client.wait(lambda message: "error" in message, "a parse error")
                assert error["id"] is None and error["error"]["code"] == -32700
            client.last_id += 1
            client.send(
                {"id": client.last_id, "method": "workspace/symbol", "params": {"query": "x"}}
            )
            answer = _answer(client, client.last_id)
            assert "result" in answer or "error" in answer, (number, answer)
            assert client.process.poll() is None, number
        path = tmp_path / "after.py"
        assert _open(client, path, SOURCE)  # still analysing


def test_invalid_code_action_params_get_a_json_rpc_error(tmp_path: Path) -> None:
    with _server(tmp_path) as client:
        path = tmp_path / "a.py"
        _open(client, path, SOURCE)
        for number, params in enumerate(
            [
                {"textDocument": 5},
                {"textDocument": {"uri": path.as_uri()}, "range": "everywhere"},
                None,
                {
                    "textDocument": {"uri": path.as_uri()},
                    "range": {"start": {"line": -1, "character": "x"}, "end": {}},
                    "context": {"diagnostics": [{"data": {"fixable": True}}]},
                },
            ]
        ):
            client.last_id += 1
            client.send(
                {"id": client.last_id, "method": "textDocument/codeAction", "params": params}
            )
            answer = _answer(client, client.last_id)
            assert answer.get("error", {}).get("code") == -32602, (number, answer)
        assert client.request("shutdown") is None


def test_a_burst_of_changes_is_analysed_once_at_its_newest_version(tmp_path: Path) -> None:
    """Every keystroke is a didChange: the server waits for a pause and analyses the
    newest buffer, instead of forking one analysis per version."""
    with _server(tmp_path) as client:
        path = tmp_path / "typed.py"
        _open(client, path, SOURCE)
        last = 60
        for version in range(2, last + 1):
            text = SOURCE + "y = 1\n" * version
            if version == last:
                text = "import torch\ntorch.npu.synchronize()\ntorch.cuda.current_device()\n"
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": path.as_uri(), "version": version},
                    "contentChanges": [{"text": text}],
                },
            )
        versions: list[int] = []
        while not versions or versions[-1] != last:
            message = client.wait(
                lambda m: (
                    m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == path.as_uri()
                ),
                f"diagnostics for version {last}",
            )
            versions.append(message["params"]["version"])
        newest = message["params"]["diagnostics"]
        assert [d["range"]["start"]["line"] for d in newest] == [2]
        assert versions == sorted(versions)
        assert len(versions) <= 10, versions  # one per version without the debounce
        assert client.request("shutdown") is None


def test_a_slow_analysis_does_not_hold_up_the_next_request(tmp_path: Path) -> None:
    """A buffer that takes seconds to analyse is analysed off the event loop: a request
    sent right after its didOpen is answered before its diagnostics are published (the
    loop used to analyse in the handler, and read nothing else until it was done)."""
    with _server(tmp_path) as client:
        slow = tmp_path / "slow.py"
        text = "import torch\n" + "torch.cuda.synchronize()\n" * 200
        document = {"uri": slow.as_uri(), "languageId": "python", "version": 1, "text": text}
        client.notify("textDocument/didOpen", {"textDocument": document})
        client.last_id += 1
        client.send({"id": client.last_id, "method": "workspace/symbol", "params": {"query": ""}})
        order: list[str] = []
        while len(order) < 2:
            message = client.wait(
                lambda m: (
                    m.get("id") == client.last_id
                    or m.get("method") == "textDocument/publishDiagnostics"
                ),
                "the answer and the diagnostics",
            )
            if "id" in message:
                order.append("answer")
            else:
                assert len(message["params"]["diagnostics"]) == 200
                order.append("diagnostics")
        assert order == ["answer", "diagnostics"]
        assert client.request("shutdown") is None
