# Runs a command on a new pseudo-terminal, as its session leader (a login shell's place), copies
# what it shows to standard output, and hangs the terminal up (closes the master: the kernel sends
# SIGHUP, and every call on the terminal then fails with EIO) when a line arrives on standard
# input — a closed window or a dropped ssh session. Then waits for the command and writes how it
# ended, as JSON, to standard error: {"exit": code} or {"signal": number}.
# https://docs.python.org/3/library/pty.html
import json, os, pty, select, sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
hung_up = False
while not hung_up:
    ready, _, _ = select.select([fd, 0], [], [])
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if 0 in ready:
        os.read(0, 1024)
        os.close(fd)
        hung_up = True
_, status = os.waitpid(pid, 0)
sys.stderr.write(json.dumps({'exit': os.WEXITSTATUS(status)} if os.WIFEXITED(status) else {'signal': os.WTERMSIG(status)}))
