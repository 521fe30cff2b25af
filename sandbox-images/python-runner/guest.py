"""Kiln Python runner: one guest execution, in a fresh interpreter the runner started.

The runner starts this program before it has a job (a spare), so it holds nothing of anyone:
it reads its one job from stdin, runs the component's `handle_request(request_data, context)`
and exits. SDK logs and the outcome go to the runner as JSON lines on fd 3; whatever the
component prints to fds 1 and 2 the runner reads as console output, within the same budget.
Tool calls reach Kiln's /mcp over the container's socket with the execution's token.
"""
import http.client
import json
import os
import resource
import socket
import sys
import threading
import types

MCP_SOCKET = os.path.join(os.environ.get("KILN_SOCKET_DIR", "/kiln"), "mcp.sock")
OUT = 3


_lock = threading.Lock()


def _send(message, payload=None):
    """One JSON line to the runner; a result's JSON follows as the next line, unescaped."""
    data = (json.dumps(message) + "\n").encode()
    if payload is not None:
        data += payload + b"\n"
    view = memoryview(data)
    with _lock:
        while view:
            view = view[os.write(OUT, view):]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("kiln", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class McpError(Exception):
    """A tool call Kiln refused or that failed; `code` is Kiln's error code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class McpClient:
    """Calls tools on Kiln's /mcp over the container's socket, as one execution (its token)."""

    def __init__(self, token, path=MCP_SOCKET):
        self._token = token
        self._path = path
        self._id = 0

    def call(self, tool, params=None):
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": "tools/call",
                           "params": {"name": tool, "arguments": params or {}}})
        conn = _UnixConnection(self._path)
        try:
            conn.request("POST", "/mcp", body, {
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
                "Authorization": "Bearer " + self._token,
                "MCP-Protocol-Version": "2025-11-25",
            })
            res = conn.getresponse()
            text = res.read().decode("utf-8", "replace")
            kind = res.getheader("Content-Type", "")
        finally:
            conn.close()
        if "text/event-stream" in kind:
            lines = [line[5:] for line in text.split("\n") if line.startswith("data:")]
            found = [json.loads(line) for line in lines]
            message = next((m for m in found if "result" in m or "error" in m), None)
        else:
            message = json.loads(text)
        if not message:
            raise McpError("INTERNAL", "MCP answered without a result")
        if "error" in message:
            data = message["error"].get("data") or {}
            raise McpError(data.get("code", "INTERNAL"), message["error"].get("message", ""))
        result = message["result"]
        if result.get("isError"):
            text = next((c.get("text", "") for c in result.get("content", [])
                         if c.get("type") == "text"), "")
            try:
                err = json.loads(text)["error"]
                raise McpError(str(err["code"]), str(err["message"]))
            except (ValueError, KeyError, TypeError):
                raise McpError("INTERNAL", text)
        return result.get("structuredContent")


class _Log:
    def _emit(self, level, message, fields=None):
        try:
            _send({"t": "log", "level": level, "message": str(message), "fields": fields,
                   "source": "sdk"})
        except (TypeError, ValueError):
            _send({"t": "log", "level": level, "message": str(message), "source": "sdk"})

    def debug(self, message, fields=None):
        self._emit("debug", message, fields)

    def info(self, message, fields=None):
        self._emit("info", message, fields)

    def warn(self, message, fields=None):
        self._emit("warn", message, fields)

    warning = warn

    def error(self, message, fields=None):
        self._emit("error", message, fields)


def main():
    job = json.loads(sys.stdin.buffer.read())
    memory = int(job.get("memoryMb") or 128) << 20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory + (64 << 20), memory + (64 << 20)))
    except (ValueError, OSError):
        pass
    context = job.get("context") or {}
    log = _Log()
    module = types.ModuleType("kiln")
    module.mcp = McpClient(context.get("mcp_token", ""))
    module.log = log
    module.McpError = McpError
    sys.modules["kiln"] = module
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    code = job["code"]
    payload = None
    try:
        namespace = {"__name__": "component", "mcp": module.mcp, "log": log}
        exec(compile(code["source"], "<component>", "exec"), namespace)
        fn = namespace.get(code.get("entry") or "handle_request")
        if not callable(fn):
            raise NameError("the component does not define %r" % code.get("entry"))
        value = fn(job.get("requestData"), context)
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
            try:
                payload = text.encode()
            except UnicodeEncodeError:  # lone surrogates: escaped, they are valid JSON
                payload = json.dumps(value, allow_nan=False).encode()
        except RecursionError:
            payload, outcome = None, {"t": "killed", "reason": "output", "limit": "json.depth"}
        else:
            outcome = {"t": "result", "ok": True}
    except MemoryError:
        outcome = {"t": "killed", "reason": "memory"}
    except RecursionError as err:
        outcome = {"t": "result", "ok": False, "code": "APPLICATION_ERROR",
                   "message": "RecursionError: %s" % err}
    except BaseException as err:  # noqa: BLE001 - every guest failure is an application error
        code_ = getattr(err, "code", None)
        outcome = {"t": "result", "ok": False,
                   "code": code_ if isinstance(code_, str) else "APPLICATION_ERROR",
                   "message": "%s: %s" % (type(err).__name__, err)}
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        _send(outcome, payload)
    except MemoryError:
        _send({"t": "killed", "reason": "memory"})
    except (TypeError, ValueError) as err:
        _send({"t": "result", "ok": False, "code": "APPLICATION_ERROR",
               "message": "the result is not JSON: %s" % err})
    os._exit(0)


if __name__ == "__main__":
    main()
