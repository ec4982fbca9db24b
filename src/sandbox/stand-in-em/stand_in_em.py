#!/usr/bin/env python3
"""A stand-in Introscope Enterprise Manager for momlink's tests and console sandbox.

It does only what hot failover is made of (Broadcom KB 143526), with the same OS lock a real EM
takes through Java's FileChannel.lock on Linux: an exclusive POSIX record lock over the whole
file (fcntl F_SETLK, F_WRLCK, start 0, length 0 = to the end), here through fcntl.lockf.

- Takes EM_HOME/config/internal/server/secondary_em.lck, then primary_em.lck, in the KB's order,
  logging the KB's [Manager.HotFailover] lines to EM_HOME/logs/IntroscopeEnterpriseManager.log.
- If the primary lock is held by another EM, it keeps the secondary lock and polls the primary
  one (non-blocking tries, like the real EM's "regularly checking"), and takes over when it is
  released: "Acquired primary lock", "Released secondary lock", "Proceeding with startup".
- Stays up until SIGTERM/SIGINT/SIGHUP, then logs its shutdown, releases its locks and exits 0.
- Writes its role (starting, standby, primary, standalone) to --role-file on every change, so
  a service front can tell when a start has settled.

Never shipped to MOM hosts; started through control.ts (the service-control front). Keep it to
the standard library: it must run on any Python 3 the project's machines have.
"""

import argparse
import datetime
import errno
import fcntl
import json
import os
import signal
import sys
import time

LOCK_DIR = os.path.join("config", "internal", "server")
LOG_FILE = os.path.join("logs", "IntroscopeEnterpriseManager.log")


class Stop(Exception):
    """Raised by the signal handler: leaves any wait at once and unwinds to the clean exit."""


def on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


class Log:
    """Appends lines in the EM's layout: `11/11/15 05:08:08.550 PM EST [INFO] [main] [Category] text`."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.file = open(path, "a", encoding="latin-1", buffering=1)

    def line(self, text, category="Manager.HotFailover", level="INFO"):
        now = datetime.datetime.now().astimezone()
        stamp = now.strftime("%m/%d/%y %I:%M:%S.") + f"{now.microsecond // 1000:03d} " + now.strftime("%p %Z")
        self.file.write(f"{stamp} [{level}] [main] [{category}] {text}\n")
        self.file.flush()


def write_role(path, host, role):
    if not path:
        return
    state = {"pid": os.getpid(), "host": host, "role": role}
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(state, out)
    os.replace(temporary, path)


def open_lock_file(path):
    # One descriptor per lock file for the whole life of the process: POSIX record locks belong
    # to the process, and closing any descriptor of the file would release them all.
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def try_lock(fd):
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as error:
        if error.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--em-home", required=True, help="the EM_HOME this EM runs from")
    parser.add_argument("--host", required=True, help="which MOM host this EM is (for its role file)")
    parser.add_argument("--poll-ms", type=int, default=500, help="how often a waiting EM tries the primary lock")
    parser.add_argument("--role-file", help="where to write {pid, host, role} on every role change")
    parser.add_argument("--failover", choices=["on", "off"], default="on", help="off: start without the locks")
    parser.add_argument("--configured-as", choices=["primary", "secondary"], default="primary")
    parser.add_argument("--console-log", help="append stdout and stderr to this file (a daemon has no terminal)")
    args = parser.parse_args()
    if args.console_log:
        console = os.open(args.console_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(console, 1)
        os.dup2(console, 2)
        os.close(console)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    em_home = os.path.abspath(args.em_home)
    log = Log(os.path.join(em_home, LOG_FILE))
    poll = max(args.poll_ms, 10) / 1000
    held = []
    try:
        write_role(args.role_file, args.host, "starting")
        log.line(f"Starting the stand-in Enterprise Manager on {args.host} (momlink sandbox, not a real EM)", "Manager")
        if args.failover == "off":
            log.line("Hot failover is not enabled: starting without the failover locks", "Manager")
            write_role(args.role_file, args.host, "standalone")
            while True:
                time.sleep(3600)

        log.line(f"The Introscope Enterprise Manager is configured as a {args.configured_as.capitalize()} EM")
        lock_dir = os.path.join(em_home, LOCK_DIR)
        os.makedirs(lock_dir, exist_ok=True)
        secondary = open_lock_file(os.path.join(lock_dir, "secondary_em.lck"))
        primary = open_lock_file(os.path.join(lock_dir, "primary_em.lck"))

        log.line("Acquiring secondary lock...")
        while not try_lock(secondary):
            time.sleep(poll)
        held.append(secondary)
        log.line("Acquired secondary lock")

        log.line("Acquiring primary lock...")
        if not try_lock(primary):
            write_role(args.role_file, args.host, "standby")
            while not try_lock(primary):
                time.sleep(poll)
        held.append(primary)
        log.line("Acquired primary lock")
        fcntl.lockf(secondary, fcntl.LOCK_UN)
        held.remove(secondary)
        log.line("Released secondary lock")
        # The log line first, the role last: control.ts reports a start settled once the role is
        # written, and its callers then read the whole log (a waiter on the takeover waits for both).
        log.line("Proceeding with startup")
        write_role(args.role_file, args.host, "primary")
        while True:
            time.sleep(3600)
    except Stop as stop:
        log.line(f"Orderly shutdown on {stop}: releasing the failover locks", "Manager")
        for fd in held:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        if args.role_file:
            try:
                os.remove(args.role_file)
            except FileNotFoundError:
                pass
        return 0
    except OSError as error:
        print(f"stand-in EM on {args.host}: {error}", file=sys.stderr)
        log.line(f"Cannot start: {error}", "Manager", "ERROR")
        return 1


if __name__ == "__main__":
    sys.exit(main())
