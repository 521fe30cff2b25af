"""core.linux.executeCommand for the Python runner."""
import os
import select
import time

from container import high_fd

TMP = os.environ.get("TMPDIR", "/tmp")


def command(req):
    """core.linux.executeCommand inside the container: argv only, no shell, clean env, caps."""
    cap = int(req.get("maxOutputBytes", 1 << 20))
    command_path = req.get("command", "")
    if command_path not in (req.get("allowlist") or []):
        return {"refused": "%s is not allowlisted" % command_path}
    if os.path.exists(command_path) and os.path.realpath(command_path) != command_path:
        return {"refused": "%s resolves through a symlink to %s"
                % (command_path, os.path.realpath(command_path))}
    pipes = [tuple(high_fd(fd) for fd in os.pipe()) for _ in range(3)]
    (in_r, in_w), (out_r, out_w), (err_r, err_w) = pipes
    actions = [(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
               (os.POSIX_SPAWN_DUP2, err_w, 2)]
    try:
        pid = os.posix_spawn(command_path, [command_path] + [str(a) for a in
                                                             req.get("arguments", [])],
                             {"PATH": "/usr/bin:/bin", "HOME": TMP, "LANG": "C.UTF-8"},
                             file_actions=actions)
    except OSError as exc:
        for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
            os.close(fd)
        return {"exitCode": 127, "stdout": "", "stderr": str(exc), "timedOut": False,
                "truncated": False, "spawnError": True}
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    pending = memoryview((req.get("stdin") or "").encode())
    os.set_blocking(in_w, False)
    if not pending:
        in_w = os.close(in_w) or -1
    out, truncated, timed_out, status = {out_r: [], err_r: []}, False, False, None
    sizes = {out_r: 0, err_r: 0}
    readers = [out_r, err_r]
    deadline = time.monotonic() + float(req.get("timeoutMs", 30000)) / 1000.0
    while readers or status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, writable, _ = select.select(readers, [in_w] if in_w != -1 else [], [],
                                           min(left, 0.05))
        if writable:
            try:
                pending = pending[os.write(in_w, pending):]
            except BlockingIOError:
                pass
            except OSError:
                pending = memoryview(b"")
            if not pending:
                in_w = os.close(in_w) or -1
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                readers.remove(fd)
                continue
            room = cap - sizes[fd]
            if len(chunk) > room:
                truncated = True
            if room > 0:
                out[fd].append(chunk[:room])
                sizes[fd] += min(room, len(chunk))
        if status is None:
            try:
                got, st = os.waitpid(pid, os.WNOHANG)
                if got:
                    status = st
            except ChildProcessError:
                status = 0
    for fd in (in_w, out_r, err_r):
        if fd != -1:
            os.close(fd)
    if status is None:
        code = 124
    elif os.WIFSIGNALED(status):
        code = 128 + os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
    return {"exitCode": code, "stdout": b"".join(out[out_r]).decode("utf-8", "replace"),
            "stderr": b"".join(out[err_r]).decode("utf-8", "replace"), "timedOut": timed_out,
            "truncated": truncated}
