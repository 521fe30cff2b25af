"""What the Python runner does to its container: it makes itself non-dumpable, and between tasks
finds and kills every other process and empties the places a task could leave state in. Guests
get the kernel's OOM kill first.
"""
import ctypes
import fcntl
import os

# Past these, replacing the container is cheaper than cleaning up after the guest.
MAX_LEFTOVERS = 10000
MAX_LEFTOVER_DEPTH = 64

_libc = ctypes.CDLL(None, use_errno=True)


def undumpable():
    """prctl(PR_SET_DUMPABLE, 0): /proc/<runner>/{mem,environ,fd,maps} and ptrace are refused."""
    if _libc.prctl(4, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def high_fd(fd):
    """The fd moved above the 0-3 a guest gets, close-on-exec (dup2 in the child clears it)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def oom_first(pid):
    """The guest, not the runner, is what the kernel kills when the container runs out."""
    try:
        with open("/proc/%d/oom_score_adj" % pid, "w") as f:
            f.write("1000")
    except OSError:
        pass


def oom_kills():
    """The container's cgroup OOM-kill count (cgroup v1 or v2), or None when unreadable."""
    for path in ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return None


def others():
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (me, 1)]


def wipe(root):
    """Empties `root`, or says why it will not: too much, too deep, or not removable."""
    count, dirs, stack = 0, [], [(root, 0)]
    try:
        while stack:
            path, depth = stack.pop()
            if depth > MAX_LEFTOVER_DEPTH:
                return "the guest left directories more than %d deep" % MAX_LEFTOVER_DEPTH
            try:
                entries = list(os.scandir(path))
            except PermissionError:
                os.chmod(path, 0o700)
                entries = list(os.scandir(path))
            for entry in entries:
                count += 1
                if count > MAX_LEFTOVERS:
                    return "the guest left more than %d files" % MAX_LEFTOVERS
                if entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, 0o700)
                    stack.append((entry.path, depth + 1))
                    dirs.append(entry.path)
                else:
                    os.unlink(entry.path)
        for path in reversed(dirs):
            os.rmdir(path)
    except FileNotFoundError as err:
        if err.filename == root:
            return None
        return "cannot empty %s: %s" % (root, err)
    except OSError as err:
        return "cannot empty %s: %s" % (root, err)
    return None


def remove_ipc():
    """Removes System V shared memory, queues and semaphores a guest created."""
    for kind, remove in (("shm", lambda i: _libc.shmctl(i, 0, None)),
                         ("msg", lambda i: _libc.msgctl(i, 0, None)),
                         ("sem", lambda i: _libc.semctl(i, 0, 0))):
        try:
            with open("/proc/sysvipc/" + kind) as f:
                ids = [int(line.split()[1]) for line in f.readlines()[1:] if line.strip()]
        except OSError:
            continue
        for ipc_id in ids:
            if remove(ipc_id) != 0:
                return "cannot remove System V %s %d" % (kind, ipc_id)
    return None
