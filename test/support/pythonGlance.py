"""python-glanceclient's `glance`, run many times in one process (test/support/pythonGlance.ts).

A python-glanceclient process spends about a second of CPU importing its modules before it does
anything, and the suite compares hundreds of commands with it. This driver imports them once,
then runs `glanceclient.shell.main` once per request, each time as a fresh `/usr/bin/glance`
process would run: the request's environment, working directory, arguments and standard input
(on descriptor 0: a pipe fed with the request's bytes, a file, or /dev/null), standard output
and standard error on descriptors 1 and 2 going to the request's files, and the state a run
leaves in the process (logging handlers and levels, the warnings already shown, the image schema
it read) put back as it was.

Requests and answers are JSON lines on descriptor 3 (a socket the test process holds):
  {"args": [...], "env": {...}, "cwd": "...", "stdin": {"pipe": PATH} | {"file": PATH} | null,
   "stdout": PATH, "stderr": PATH}
  -> {"status": N}
"""

import json
import logging
import os
import socket
import sys
import tempfile
import threading
import traceback
import warnings


def import_glanceclient():
    """Imports what /usr/bin/glance imports, with an empty HOME (no cached schema), as a fresh run does."""
    home = tempfile.mkdtemp(prefix="pyglance-import-")
    os.environ["HOME"] = home
    from glanceclient import shell
    from glanceclient.v2 import shell as v2_shell

    os.rmdir(home)
    return shell, v2_shell


class LoggingState:
    """The loggers' levels and handlers as a fresh process has them, put back after each run."""

    def __init__(self):
        # Loggers glanceclient's main() configures: as a fresh process has them before it does.
        logging.getLogger("glanceclient")
        logging.getLogger("iso8601")
        self.disable = logging.root.manager.disable
        self.state = {}
        self.record_new()

    def loggers(self):
        yield "", logging.root
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if isinstance(logger, logging.Logger):
                yield name, logger

    def record_new(self):
        """Loggers first made by modules a run imported: their state then is their import-time state."""
        for name, logger in self.loggers():
            if name not in self.state:
                self.state[name] = (logger.level, list(logger.handlers), logger.propagate, logger.disabled)

    def restore(self):
        for name, logger in self.loggers():
            if name in self.state:
                level, handlers, propagate, disabled = self.state[name]
                logger.setLevel(level)
                logger.handlers[:] = handlers
                logger.propagate = propagate
                logger.disabled = disabled
        logging.disable(self.disable)
        self.record_new()


def exit_status(code):
    """The exit status of `sys.exit(code)`: what the interpreter would exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def feed(fd, path):
    """Writes a file's bytes into a pipe, then closes it (a command that stops reading ends it)."""
    try:
        with open(path, "rb") as source:
            while True:
                chunk = source.read(1 << 16)
                if not chunk:
                    break
                os.write(fd, chunk)
    except OSError:
        pass
    finally:
        os.close(fd)


def main():
    channel = socket.socket(fileno=3)
    requests = channel.makefile("rb")
    answers = channel.makefile("wb")
    shell, v2_shell = import_glanceclient()
    try:
        from osprofiler import profiler as osprofiler
    except ImportError:
        osprofiler = None

    devnull = os.open(os.devnull, os.O_RDONLY)
    streams = sys.stdin, sys.stdout, sys.stderr
    saved = {fd: os.dup(fd) for fd in (0, 1, 2)}
    out_encoding, out_errors = sys.stdout.encoding, sys.stdout.errors
    err_encoding, err_errors = sys.stderr.encoding, sys.stderr.errors
    logging_state = LoggingState()
    warning_filters = list(warnings.filters)

    for line in requests:
        request = json.loads(line)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])

        feeder = None
        stdin = request["stdin"]
        if stdin is None:
            os.dup2(devnull, 0)
        elif "file" in stdin:
            fd = os.open(stdin["file"], os.O_RDONLY)
            os.dup2(fd, 0)
            os.close(fd)
        else:
            read_end, write_end = os.pipe()
            os.dup2(read_end, 0)
            os.close(read_end)
            feeder = threading.Thread(target=feed, args=(write_end, stdin["pipe"]), daemon=True)
            feeder.start()
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", encoding=out_encoding, errors=out_errors, closefd=False)
        sys.stderr = open(2, "w", encoding=err_encoding, errors=err_errors, closefd=False, buffering=1)
        sys.argv = ["/usr/bin/glance", *request["args"]]
        v2_shell.IMAGE_SCHEMA = None

        try:
            status = exit_status(shell.main())
        except SystemExit as e:
            status = exit_status(e.code)
        except BaseException:
            traceback.print_exc()
            status = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass

        sys.stdin, sys.stdout, sys.stderr = streams
        for fd, copy in saved.items():
            os.dup2(copy, fd)
        if feeder is not None:
            feeder.join(timeout=5)
        logging_state.restore()
        warnings.filters[:] = warning_filters
        warnings._filters_mutated()
        if osprofiler is not None:
            osprofiler.clean()

        answers.write((json.dumps({"status": status}) + "\n").encode())
        answers.flush()


if __name__ == "__main__":
    main()
