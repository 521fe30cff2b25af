"""Kiln Python runner: the `/execute` server of the container tier (SPEC 5), stdlib only.

It listens on a Unix socket in the directory Kiln bind-mounts at /kiln and runs each task in a
forked process of its own (new session, address-space limit, deadline), calling the component's
`handle_request(request_data, context)`. Guest code reaches Kiln's /mcp through the second socket
with its execution token: `from kiln import mcp, log`, then `mcp.call(tool, params)`.
"""
import http.client
import http.server
import io
import json
import os
import resource
import select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import types
import urllib.parse

DIR = os.environ.get("KILN_SOCKET_DIR", "/kiln")
SOCKET = os.path.join(DIR, "runner.sock")
MCP_SOCKET = os.path.join(DIR, "mcp.sock")
LOG_CAP = 1 << 20


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
            lines = [l[5:] for l in text.split("\n") if l.startswith("data:")]
            found = [json.loads(l) for l in lines]
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
    def __init__(self, sink):
        self._sink = sink

    def _emit(self, level, message, fields=None, source="sdk"):
        self._sink.append({"level": level, "message": str(message), "fields": fields,
                           "source": source})

    def debug(self, message, fields=None):
        self._emit("debug", message, fields)

    def info(self, message, fields=None):
        self._emit("info", message, fields)

    def warn(self, message, fields=None):
        self._emit("warn", message, fields)

    warning = warn

    def error(self, message, fields=None):
        self._emit("error", message, fields)


class _Console(io.TextIOBase):
    def __init__(self, log, level):
        self._log = log
        self._level = level
        self._line = ""

    def write(self, text):
        self._line += text
        while "\n" in self._line:
            line, self._line = self._line.split("\n", 1)
            self._log._emit(self._level, line, source="console")
        return len(text)

    def flush(self):
        if self._line:
            self._log._emit(self._level, self._line, source="console")
            self._line = ""


def _run_guest(request, out_fd):
    """In the forked child: run the component, write one JSON outcome to out_fd, exit."""
    limits = request.get("limits") or {}
    memory = int(limits.get("memoryMb", 128)) << 20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory + (64 << 20), memory + (64 << 20)))
    except (ValueError, OSError):
        pass
    logs = []
    log = _Log(logs)
    context = request.get("context") or {}
    module = types.ModuleType("kiln")
    module.mcp = McpClient(context.get("mcp_token", ""))
    module.log = log
    module.McpError = McpError
    sys.modules["kiln"] = module
    sys.stdout = _Console(log, "info")
    sys.stderr = _Console(log, "error")
    code = request["code"]
    try:
        namespace = {"__name__": "component", "mcp": module.mcp, "log": log}
        exec(compile(code["source"], "<component>", "exec"), namespace)
        fn = namespace.get(code.get("entry") or "handle_request")
        if not callable(fn):
            raise NameError("the component does not define %r" % code.get("entry"))
        value = fn(request.get("requestData"), context)
        sys.stdout.flush()
        outcome = {"t": "result", "ok": True, "json": json.dumps(value), "logs": logs}
    except MemoryError:
        outcome = {"t": "killed", "reason": "memory", "logs": logs}
    except RecursionError as err:
        outcome = {"t": "result", "ok": False, "code": "APPLICATION_ERROR",
                   "message": "RecursionError: %s" % err, "logs": logs}
    except BaseException as err:  # noqa: BLE001 - every guest failure is an application error
        code_ = getattr(err, "code", None)
        outcome = {"t": "result", "ok": False,
                   "code": code_ if isinstance(code_, str) else "APPLICATION_ERROR",
                   "message": "%s: %s" % (type(err).__name__, err), "logs": logs}
    try:
        data = json.dumps(outcome).encode()
    except (TypeError, ValueError) as err:
        data = json.dumps({"t": "result", "ok": False, "code": "APPLICATION_ERROR",
                           "message": "the result is not JSON: %s" % err}).encode()
    view = memoryview(data)
    while view:
        n = os.write(out_fd, view)
        view = view[n:]
    os._exit(0)


def _killed(reason, message):
    code = "EXECUTION_TIMEOUT" if reason == "timeout" else "SANDBOX_KILLED"
    status = 504 if reason == "timeout" else 500
    return status, {"error": {"code": code, "message": message, "details": {"reason": reason}}}


def execute(request):
    started = time.monotonic()
    limits = request.get("limits") or {}
    timeout = float(limits.get("timeoutMs", 10000)) / 1000.0
    max_output = int(limits.get("maxOutputBytes", 4 << 20))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.setsid()
        try:
            _run_guest(request, write_fd)
        finally:
            os._exit(70)
    os.close(write_fd)
    chunks, size, outcome = [], 0, None
    deadline = started + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            outcome = _killed("timeout", "ran past its %d ms deadline" % (timeout * 1000))
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > max_output + LOG_CAP:
            outcome = _killed("output", "produced more than %d bytes of output" % max_output)
            break
        chunks.append(chunk)
    os.close(read_fd)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    if outcome is not None:
        return outcome
    raw = b"".join(chunks)
    if not raw:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            return _killed("memory", "was killed (out of memory)")
        return _killed("crash", "the guest exited with status %d" % status)
    message = json.loads(raw)
    if message["t"] == "killed":
        return _killed(message["reason"], "exceeded its %s MB memory limit"
                       % limits.get("memoryMb", 128))
    metrics = {"execution_time_ms": round((time.monotonic() - started) * 1000, 3),
               "mcp_calls": []}
    logs = message.get("logs", [])
    if message["ok"]:
        if len(message["json"]) > max_output:
            return _killed("output", "produced more than %d bytes of output" % max_output)
        body = {"requestId": request.get("requestId"), "resultType": "generic",
                "data": json.loads(message["json"]), "metrics": metrics, "logs": logs}
    else:
        body = {"requestId": request.get("requestId"), "resultType": "error",
                "data": {"code": message["code"], "message": message["message"]},
                "metrics": metrics, "logs": logs}
    return 200, body


def command(req):
    """core.linux.executeCommand inside the container: argv only, no shell, clean env, caps."""
    cap = int(req.get("maxOutputBytes", 1 << 20))
    command_path = req.get("command", "")
    if command_path not in (req.get("allowlist") or []):
        return {"refused": "%s is not allowlisted" % command_path}
    if os.path.exists(command_path) and os.path.realpath(command_path) != command_path:
        return {"refused": "%s resolves through a symlink to %s"
                % (command_path, os.path.realpath(command_path))}
    try:
        proc = subprocess.run([req["command"]] + list(req.get("arguments", [])),
                              input=(req.get("stdin") or "").encode(), capture_output=True,
                              timeout=float(req.get("timeoutMs", 30000)) / 1000.0, shell=False,
                              env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"},
                              cwd="/tmp", start_new_session=True)
        out, err, code, timed_out = proc.stdout, proc.stderr, proc.returncode, False
    except subprocess.TimeoutExpired as exc:
        out, err, code, timed_out = exc.stdout or b"", exc.stderr or b"", 124, True
    except OSError as exc:
        return {"exitCode": 127, "stdout": "", "stderr": str(exc), "timedOut": False,
                "truncated": False, "spawnError": True}
    truncated = len(out) > cap or len(err) > cap
    return {"exitCode": code if code >= 0 else 128 - code, "stdout": out[:cap].decode("utf-8", "replace"),
            "stderr": err[:cap].decode("utf-8", "replace"), "timedOut": timed_out,
            "truncated": truncated}


_busy = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def address_string(self):
        return "kiln"

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self):
        # Kiln's client speaks to the socket as to a proxy: the target may be an absolute URL.
        return urllib.parse.urlsplit(self.path).path

    def do_GET(self):
        if self._route() == "/healthz":
            return self._send(200, {"ok": True, "runner": "python", "busy": _busy.locked()})
        self._send(404, {"error": {"code": "NOT_FOUND", "message": self.path}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError as err:
            return self._send(400, {"error": {"code": "BAD_REQUEST", "message": str(err)}})
        path = self._route()
        if path == "/execute":
            if not isinstance(body, dict) or not isinstance(body.get("code"), dict):
                return self._send(400, {"error": {"code": "BAD_REQUEST",
                                                  "message": "code is required"}})
            if not _busy.acquire(blocking=False):
                return self._send(429, {"error": {"code": "OVERLOADED", "message": "busy"}})
            try:
                status, out = execute(body)
            finally:
                _busy.release()
            return self._send(status, out)
        if path == "/command":
            return self._send(200, command(body))
        self._send(404, {"error": {"code": "NOT_FOUND", "message": self.path}})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    try:
        os.unlink(SOCKET)
    except OSError:
        pass
    server = Server(SOCKET, Handler)
    os.chmod(SOCKET, 0o666)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
