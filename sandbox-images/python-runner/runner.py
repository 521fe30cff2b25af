"""Kiln Python runner: the `/execute` server of the container tier (contract §5), stdlib only.

It is the container's pid 1 and listens on a Unix socket in the directory Kiln bind-mounts at
/kiln. Each task runs in a fresh interpreter (`guest.py`, started ahead as a spare that holds
nothing) under an address-space limit and a deadline. The container runs one task at a time, so
when a task ends every other process in it is killed and reaped, /tmp, /dev/shm and System V IPC
are emptied, and only then does the answer go out: nothing of one execution is there for the
next. A container that cannot be brought back to that state says so (`recycle`) and Kiln
replaces it. The runner makes itself non-dumpable, so guests of the same uid can neither read
its memory (past requests, their tokens) nor trace it, and being pid 1 no guest can signal it.
"""
import http.server
import json
import os
import select
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

# Run with -I, the runner's own directory is not on the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from command import command  # noqa: E402
from container import (  # noqa: E402
    high_fd, oom_first, oom_kills, others, remove_ipc, undumpable, wipe)

DIR = os.environ.get("KILN_SOCKET_DIR", "/kiln")
SOCKET = os.path.join(DIR, "runner.sock")
GUEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guest.py")
TMP = os.environ.get("TMPDIR", "/tmp")
LOG_CAP = 1 << 20
# Framing and console bytes allowed on top of the result and log budgets.
SLACK = 64 << 10
CLEANUP_S = 2.0
GUEST_ENV = {"PATH": "/usr/bin:/bin", "HOME": TMP, "TMPDIR": TMP, "LANG": "C.UTF-8",
             "KILN_SOCKET_DIR": DIR}



class Guest:
    """A started guest interpreter: job in on stdin, stdout and stderr, JSON lines on fd 3."""

    def __init__(self):
        pipes = [tuple(high_fd(fd) for fd in os.pipe()) for _ in range(4)]
        (in_r, in_w), (out_r, out_w), (err_r, err_w), (msg_r, msg_w) = pipes
        actions = [(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                   (os.POSIX_SPAWN_DUP2, err_w, 2), (os.POSIX_SPAWN_DUP2, msg_w, 3)]
        try:
            self.pid = os.posix_spawn(sys.executable, [sys.executable, "-I", "-B", GUEST],
                                      GUEST_ENV, file_actions=actions)
        except OSError:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w, msg_r, msg_w):
                os.close(fd)
            raise
        for fd in (in_r, out_w, err_w, msg_w):
            os.close(fd)
        self.stdin, self.stdout, self.stderr, self.messages = in_w, out_r, err_r, msg_r
        self.status = None
        oom_first(self.pid)

    def alive(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is None

    def close(self):
        for fd in (self.stdin, self.stdout, self.stderr, self.messages):
            try:
                os.close(fd)
            except OSError:
                pass


class _Lines:
    """Splits a byte stream into lines, touching each byte once; `pending` is the open line."""

    def __init__(self):
        self._parts = []
        self.pending = 0

    def feed(self, chunk):
        lines, start = [], 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                break
            self._parts.append(chunk[start:nl])
            lines.append(b"".join(self._parts))
            self._parts, self.pending = [], 0
            start = nl + 1
        if start < len(chunk):
            self._parts.append(chunk[start:])
            self.pending += len(chunk) - start
        return lines

    def rest(self):
        return b"".join(self._parts)


def _killed(reason, message, **details):
    code = "EXECUTION_TIMEOUT" if reason == "timeout" else "SANDBOX_KILLED"
    status = 504 if reason == "timeout" else 500
    details["reason"] = reason
    return status, {"error": {"code": code, "message": message, "details": details}}


_LEVELS = ("debug", "info", "warn", "error")


class _Run:
    """One execution's reading loop: every channel of the guest against one output budget."""

    def __init__(self, guest, limits, max_depth):
        self.guest = guest
        self.max_depth = max_depth
        self.max_output = int(limits.get("maxOutputBytes", 4 << 20))
        self.memory_mb = int(limits.get("memoryMb", 128))
        self.budget = self.max_output + LOG_CAP + SLACK
        self.total = 0
        self.log_bytes = 0
        self.logs = []
        self.result = None
        self.payload = None
        self.outcome = None
        self.lines = {guest.messages: _Lines(), guest.stdout: _Lines(), guest.stderr: _Lines()}

    def _console(self, fd, line):
        self._log_bytes(len(line))
        level = "info" if fd == self.guest.stdout else "error"
        self.logs.append({"level": level, "message": line.decode("utf-8", "replace"),
                          "source": "console"})

    def _log_bytes(self, n):
        self.log_bytes += n
        if self.log_bytes > LOG_CAP and self.outcome is None:
            self.outcome = _killed("output", "logged more than %d bytes" % LOG_CAP)

    def _message(self, line):
        if self.result is not None and self.result.get("ok") and self.payload is None:
            self.payload = line
            return
        try:
            m = json.loads(line, parse_constant=_not_json)
        except (ValueError, RecursionError):
            return
        if not isinstance(m, dict):
            return
        if m.get("t") == "log":
            self._log_bytes(len(line))
            fields = m.get("fields")
            # A log's fields sit three levels down in the answer: two less than a result.
            if not isinstance(fields, dict) or _depth(fields) > self.max_depth - 2:
                fields = None
            self.logs.append({"level": m.get("level") if m.get("level") in _LEVELS else "info",
                              "message": str(m.get("message", "")), "fields": fields,
                              "source": "sdk"})
        elif m.get("t") == "result" and self.result is None:
            self.result = m
        elif m.get("t") == "killed" and self.outcome is None:
            if m.get("reason") == "memory":
                self.outcome = _killed("memory", "exceeded its %d MB memory limit"
                                       % self.memory_mb, governedBy="component")
            elif m.get("reason") == "output":
                self.outcome = _killed("output", "returned a result nested too deeply",
                                       limit="json.depth")

    def feed(self, fd, chunk):
        self.total += len(chunk)
        if self.total > self.budget:
            self.outcome = _killed("output", "wrote more than %d bytes" % self.budget)
            return
        lines = self.lines[fd]
        for line in lines.feed(chunk):
            if fd == self.guest.messages:
                self._message(line)
            else:
                self._console(fd, line)
        longest = self.max_output + SLACK if fd == self.guest.messages else LOG_CAP
        if lines.pending > longest and self.outcome is None:
            self.outcome = _killed("output", "wrote a line longer than %d bytes" % longest)

    def complete(self):
        return self.result is not None and (not self.result.get("ok") or self.payload is not None)

    def finish(self):
        for fd in (self.guest.stdout, self.guest.stderr):
            rest = self.lines[fd].rest()
            if rest and self.outcome is None:
                self._console(fd, rest)


def execute(request):
    started = time.monotonic()
    limits = request.get("limits") or {}
    timeout = float(limits.get("timeoutMs", 10000)) / 1000.0
    guest = _take_guest()
    ooms = oom_kills()
    run = _Run(guest, limits, int(request.get("maxJsonDepth") or 128))
    job = json.dumps({"code": request["code"], "requestData": request.get("requestData"),
                      "context": request.get("context"), "memoryMb": run.memory_mb}).encode()
    pending = memoryview(job)
    os.set_blocking(guest.stdin, False)
    readers = [guest.messages, guest.stdout, guest.stderr]
    deadline = started + timeout
    try:
        while run.outcome is None:
            left = deadline - time.monotonic()
            if left <= 0:
                run.outcome = _killed("timeout", "ran past its %d ms deadline" % (timeout * 1000))
                break
            writers = [guest.stdin] if pending else []
            ready, writable, _ = select.select(readers, writers, [], min(left, 0.05))
            if writable:
                try:
                    pending = pending[os.write(guest.stdin, pending):]
                except BlockingIOError:
                    pass
                except OSError:
                    pending = memoryview(b"")
                if not pending:
                    os.close(guest.stdin)
                    guest.stdin = -1
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    readers.remove(fd)
                    continue
                run.feed(fd, chunk)
                if run.outcome is not None:
                    break
            _reap(guest)
            if run.complete() or (not readers and not guest.alive()):
                break
        # What the guest printed before its result is in the pipes already; whatever a
        # descendant keeps writing is not waited for.
        while run.outcome is None and readers:
            ready = select.select(readers, [], [], 0)[0]
            if not ready:
                break
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    run.feed(fd, chunk)
                else:
                    readers.remove(fd)
        run.finish()
        return _answer(request, run, guest, ooms, started)
    finally:
        if guest.stdin != -1:
            guest.stdin = os.close(guest.stdin) or -1
        guest.close()


def _answer(request, run, guest, ooms, started):
    if run.outcome is not None:
        return run.outcome
    m = run.result
    if not run.complete():
        guest.alive()
        status = guest.status or 0
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            now = oom_kills()
            if ooms is not None and now is not None and now > ooms:
                return _killed("memory", "the container ran out of memory", governedBy="pool")
        return _killed("crash", "the guest exited with status %d without a result" % status)
    metrics = {"execution_time_ms": round((time.monotonic() - started) * 1000, 3),
               "mcp_calls": []}
    body = {"requestId": request.get("requestId"), "metrics": metrics, "logs": run.logs}
    if m.get("ok"):
        if len(run.payload) > run.max_output:
            return _killed("output", "returned more than %d bytes" % run.max_output)
        try:
            body["data"] = json.loads(run.payload, parse_constant=_not_json)
        except RecursionError:
            return _killed("output", "returned a result nested too deeply", limit="json.depth")
        except ValueError:
            return _killed("crash", "the guest sent a result that is not JSON")
        body["resultType"] = "generic"
    else:
        body["resultType"] = "error"
        body["data"] = {"code": str(m.get("code", "APPLICATION_ERROR")),
                        "message": str(m.get("message", ""))}
    return 200, body


def _depth(value):
    """How deep a parsed JSON value nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in
                         (node.values() if isinstance(node, dict) else node))
    return deepest


def _not_json(name):
    raise ValueError("%s is not JSON" % name)


def _reap(guest=None):
    """Reaps every exited child (the runner is pid 1: orphans are its children too)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if guest is not None and pid == guest.pid:
            guest.status = status
        elif _spare is not None and pid == _spare.pid:
            _spare.status = status


_spare = None
_unhealthy = None
_socket_inode = None


def _take_guest():
    global _spare
    guest, _spare = _spare, None
    if guest is not None and guest.alive():
        return guest
    if guest is not None:
        guest.close()
    return Guest()


def _cleanup():
    """Kills and reaps every other process, empties the shared places, starts the next spare.

    Returns why the container cannot be trusted with another execution, or None.
    """
    global _spare
    _drop_spare()
    until = time.monotonic() + CLEANUP_S
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap()
        left = others()
        if not left:
            break
        if time.monotonic() > until:
            return "processes survived the cleanup: %s" % left[:8]
        time.sleep(0.005)
    # The next spare starts while the rest is checked; it touches none of it.
    try:
        _spare = Guest()
    except OSError as err:
        return "cannot start a guest: %s" % err
    why = wipe(TMP) or wipe("/dev/shm") or remove_ipc()
    if why:
        return why
    try:
        if os.stat(SOCKET).st_ino != _socket_inode:
            return "the runner's socket was replaced"
    except OSError as err:
        return "the runner's socket is gone: %s" % err
    return None


def _after(answer):
    """Cleans up, then answers; a container that could not be cleaned asks to be replaced."""
    global _unhealthy
    why = _cleanup()
    if why:
        _unhealthy = why
    status, body = answer
    if _unhealthy:
        body["recycle"] = _unhealthy
    return status, body


def _drop_spare():
    """No spare lives beside a command: a command's code could trace it and wait for a job."""
    global _spare
    if _spare is not None:
        try:
            os.kill(_spare.pid, signal.SIGKILL)
        except OSError:
            pass
        _spare.close()
        _spare = None


_busy = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def address_string(self):
        return "kiln"

    def _send(self, status, body):
        try:
            data = json.dumps(body).encode()
        except RecursionError:
            status, out = _killed("output", "returned a result nested too deeply",
                                  limit="json.depth")
            if "recycle" in body:
                out["recycle"] = body["recycle"]
            data = json.dumps(out).encode()
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
            if _unhealthy:
                return self._send(503, {"ok": False, "runner": "python", "why": _unhealthy})
            return self._send(200, {"ok": True, "runner": "python", "busy": _busy.locked()})
        self._send(404, {"error": {"code": "NOT_FOUND", "message": self.path}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, RecursionError) as err:
            return self._send(400, {"error": {"code": "BAD_REQUEST", "message": str(err)}})
        path = self._route()
        if path not in ("/execute", "/command"):
            return self._send(404, {"error": {"code": "NOT_FOUND", "message": self.path}})
        if path == "/execute" and (not isinstance(body, dict) or
                                   not isinstance(body.get("code"), dict)):
            return self._send(400, {"error": {"code": "BAD_REQUEST", "message": "code is required"}})
        if not _busy.acquire(blocking=False):
            return self._send(429, {"error": {"code": "OVERLOADED", "message": "busy"}})
        try:
            if path == "/execute":
                try:
                    answer = execute(body)
                except OSError as err:  # no guest could be started: fork or pipes failed
                    answer = _killed("crash", "cannot start a guest: %s" % err)
                status, out = _after(answer)
            else:
                # No spare lives beside a command: its code could trace it and wait for a job.
                _drop_spare()
                status, out = _after((200, command(body)))
        finally:
            _busy.release()
        return self._send(status, out)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def verify_request(self, request, client_address):
        # Kiln connects from outside the container's pid namespace, where the peer's pid reads
        # as 0; a process inside (a guest) is refused.
        creds = request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", creds)[0] == 0


def main():
    global _spare, _socket_inode
    undumpable()
    # As pid 1, a signal without a handler is not delivered from inside the container.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        os.unlink(SOCKET)
    except OSError:
        pass
    server = Server(SOCKET, Handler)
    os.chmod(SOCKET, 0o666)
    _socket_inode = os.stat(SOCKET).st_ino
    _spare = Guest()
    server.serve_forever()


if __name__ == "__main__":
    main()
