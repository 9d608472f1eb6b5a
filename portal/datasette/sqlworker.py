"""The process that runs a visitor's SQL, bounded by the operating system; and what any query may do.

SQLite checks its time limit (the progress handler) only between steps of
its virtual machine, every thousand of them: one call of LIKE, GLOB, instr
or replace over a long string, or a thousand cheaper calls in a row, runs
for seconds or minutes between two checks.  No setting of SQLite bounds
that, so a visitor's SQL runs here, in a process of its own that the
kernel stops: `RLIMIT_CPU` ends it past its CPU seconds (SIGXCPU), and
`RLIMIT_AS` makes an allocation past its memory budget fail (SQLite answers
"out of memory").  The parent (adhoc.py) kills it past a wall-clock
deadline too, and starts another.

This module is what that process runs (`python -m portal.datasette.sqlworker`):
it reads one query at a time from its stdin and writes the answer to its
stdout, each a length-prefixed `marshal` frame (plain values only: loading
one can run no code, whatever the frame holds).  It imports nothing of
Datasette, so it starts in a few tens of milliseconds.  It opens the build's
database file read-only, turns every blob into its size (a result never
carries a blob's bytes, which JSON would write six bytes to the byte), and
counts what it returns: past `MAX_RESULT_CHARS` characters or `MAX_CELLS`
values it stops and says so, before the parent renders anything.

`prepare()` is the policy of every connection, here and in the portal's
own process (connection.py): the length limits (a second layer: the
data's longest value is 4 kB), the functions and tables refused.
"""

from __future__ import annotations

import marshal
import os
import resource
import select
import signal
import sqlite3
import struct
import sys
import time

from ..search import match_query

#: the longest string or blob a query may build (bytes); the data's longest value is about 4 kB
MAX_LENGTH = 128_000
#: the longest SQL text a visitor may send (bytes)
MAX_SQL_LENGTH = 20_000
#: the longest LIKE or GLOB pattern: each call costs the pattern's length times the text's
MAX_LIKE_PATTERN = 1_000
#: functions refused in every query: printf('%.*c', 2147483647, 'x') builds its string in one call,
#: fts3_tokenizer('simple') returns an address in the process's memory
REFUSED_FUNCTIONS = {"printf", "format", "fts3_tokenizer"}
#: tables a query may not read: pragma_database_list shows where the database file lies on the server
REFUSED_TABLES = {"pragma_database_list"}

#: CPU seconds one query may use (RLIMIT_CPU counts whole seconds: a query gets between this less one and this)
CPU_SECONDS = 2
#: bytes of memory the worker may add to what it uses when it is ready (RLIMIT_AS)
MEMORY_BYTES = 192 * 1024 * 1024
#: what one result may hold: characters of text in all (a blob or a number counts as 16), and values
MAX_RESULT_CHARS = 2_000_000
MAX_CELLS = 50_000
#: a frame's length prefix
FRAME = struct.Struct("!I")
#: seconds without a query after which a worker closes its database (a newer build may have replaced it)
IDLE = 10.0


def authorize(action: int, arg1, arg2, db_name, source) -> int:
    """SQLite's authorizer: refuse the functions and tables above, allow the rest (the file is read-only)."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in REFUSED_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def prepare(conn: sqlite3.Connection) -> None:
    """Limit what one query can allocate or read, and make search use the bigram index."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.set_authorizer(authorize)
    conn.create_function("escape_fts", 1, match_query, deterministic=True)


def write_frame(out, value) -> None:
    data = marshal.dumps(value)
    out.write(FRAME.pack(len(data)) + data)
    out.flush()


def read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_frame(fd: int):
    """The next frame from a pipe, or None at the end of the input (the parent has gone)."""
    header = read_exactly(fd, FRAME.size)
    if len(header) < FRAME.size:
        return None
    (size,) = FRAME.unpack(header)
    data = read_exactly(fd, size)
    return marshal.loads(data) if len(data) == size else None


class Worker:
    """One worker process's state: its connection to the build it last served."""

    def __init__(self):
        self.path: str | None = None
        self.conn: sqlite3.Connection | None = None

    def close(self) -> None:
        """Let go of the build's file (idle for IDLE seconds, or a query for another build)."""
        if self.conn is not None:
            self.conn.close()
        self.path, self.conn = None, None

    def connect(self, path: str) -> sqlite3.Connection:
        """The connection to `path`; a query for another build closes the one before (the build was replaced)."""
        if self.path != path:
            self.close()
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            conn.text_factory = lambda b: str(b, "utf-8", "replace")  # as Datasette's connections read text
            conn.execute("pragma query_only = 1")
            conn.execute("pragma temp_store = memory")  # a sort never writes a temporary file
            prepare(conn)
            self.path, self.conn = path, conn
        return self.conn

    def run(self, job) -> tuple:
        """Run one query: ("ok", columns, rows, truncated), or ("error", kind, message)."""
        path, sql, params, time_limit_ms, max_rows, cpu_seconds = job
        conn = self.connect(path)
        used = resource.getrusage(resource.RUSAGE_SELF)
        resource.setrlimit(
            resource.RLIMIT_CPU, within_hard(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime) + cpu_seconds)
        )
        deadline = time.perf_counter() + time_limit_ms / 1000
        # as Datasette's sqlite_timelimit: the check between VM steps, for queries that take many steps
        conn.set_progress_handler(lambda: time.perf_counter() >= deadline, 1 if time_limit_ms <= 20 else 1000)
        try:
            cursor = conn.execute(sql, params)
            columns = [d[0] for d in cursor.description or ()]
            rows, chars, cells = [], 0, 0
            while True:
                batch = cursor.fetchmany(100)
                if not batch:
                    break
                for row in batch:
                    values = tuple((len(v),) if isinstance(v, bytes) else v for v in row)
                    chars += sum(len(v) if isinstance(v, str) else 16 for v in values)
                    cells += len(values)
                    if chars > MAX_RESULT_CHARS or cells > MAX_CELLS:
                        return ("error", "result", "")
                    rows.append(values)
                if max_rows and len(rows) > max_rows:
                    break
            truncated = bool(max_rows) and len(rows) > max_rows
            return ("ok", columns, rows[:max_rows] if max_rows else rows, truncated)
        except sqlite3.Error as exc:
            message = str(exc)
            if message == "interrupted":
                return ("error", "interrupted", message)
            if "out of memory" in message:
                return ("error", "memory", message)
            return ("error", type(exc).__name__, message[:2000])
        except MemoryError:
            return ("error", "memory", "")
        finally:
            conn.set_progress_handler(None, 0)


def limit_resources() -> None:
    """The limits of a worker, from the memory it uses once ready: no core files, no files written."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails rather than ending the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    with open("/proc/self/status") as fh:
        size = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    limit = within_hard(resource.RLIMIT_AS, size + MEMORY_BYTES)
    resource.setrlimit(resource.RLIMIT_AS, (limit[0], limit[0]))


def within_hard(which: int, soft: int) -> tuple[int, int]:
    """(soft, hard) for setrlimit: `soft`, or the hard limit the server was started with when that is lower."""
    hard = resource.getrlimit(which)[1]
    return (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal stops the server, which stops its workers
    # the frames use private copies of stdin and stdout; anything else printed goes to stderr (the server's log)
    inp = os.dup(0)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    worker = Worker()
    limit_resources()
    write_frame(out, ("ready", os.getpid()))
    while True:
        if worker.conn is not None and not select.select([inp], [], [], IDLE)[0]:
            worker.close()  # no query for a while: an old build's file is not held open
            continue
        job = read_frame(inp)
        if job is None:
            break
        try:
            answer = worker.run(job)
        except MemoryError:
            answer = ("error", "memory", "")
        write_frame(out, answer)
        if answer[1] == "memory":
            return  # a fresh process for the next query: the parent starts one
    sys.exit(0)


if __name__ == "__main__":
    main()
