"""A visitor's SQL (`?sql=`, `_where=`): run in worker processes the operating system bounds, through a gate.

Two ways were weighed after reading Datasette 0.65's code:

(a) only the execution moves: Datasette answers the request in this process
    as always, and its `Database.execute` sends (SQL, parameters, limits)
    to a worker process (sqlworker.py) that runs it under RLIMIT_CPU and
    RLIMIT_AS, counts the result and returns plain rows;
(b) the whole request runs in a worker that hosts a Datasette of its own,
    this process relaying its ASGI messages.

This is (a).  Every query of Datasette goes through `Database.execute`
(QueryView, TableView's rows, count and facets, `derive_named_parameters`),
so one subclass (`PortalDatabase`) is the only seam: no second Datasette
per worker to start, keep on the current build and close, no hand-written
relay of ASGI messages, and the worker is a small process that imports no
Datasette, so a killed one is replaced in tens of milliseconds.  Rendering
stays here, bounded by what the worker may return (sqlworker.MAX_RESULT_CHARS,
MAX_CELLS) and by the response cap of guard.py.

The SQL of a request the guard marks as ad-hoc runs in a worker; every
other request (table pages, rows, filters, canned queries, whose SQL is
Datasette's or the portal's own with the visitor's values as bound
parameters, at most 8 kB against values of at most 4 kB) keeps Datasette's
in-process path.

What bounds one ad-hoc request:

* a slot: `SLOTS` queries run at once per server process, one per visitor
  (client address); a query waits its turn in order (visitors whose own
  query runs are skipped), up to `SLOT_WAIT`, then gets 429.  A slot is held
  while the query runs in the worker, never while the answer is sent;
* time: Datasette's limit (the progress handler, 1 s) inside the worker;
  RLIMIT_CPU (`sqlworker.CPU_SECONDS`) and a wall-clock deadline here
  (`QUERY_DEADLINE`) for what runs between two of SQLite's checks; all the
  queries of one request share `REQUEST_BUDGET` seconds;
* memory: RLIMIT_AS in the worker (`sqlworker.MEMORY_BYTES`);
* bytes: the worker's count of the result, blobs reduced to their size.

A worker stopped by a limit is killed and replaced (one spare is kept
started, so the next query does not wait for it); a worker follows the
build each query names, so a request begun on one build ends on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import marshal
import os
import signal
import sqlite3
import sys
from collections import Counter, deque
from contextvars import ContextVar
from dataclasses import dataclass

from datasette.database import Database, QueryInterrupted, Results

from ..errors import QuietLog
from . import sqlworker

#: queries running at once per server process, and per visitor
SLOTS = 2
SLOTS_PER_VISITOR = 1
#: a visitor's queries that may wait for a slot besides the running one; beyond, 429
WAITING_PER_VISITOR = 1
#: the longest a query waits for its slot before 429 (two visitors' deadlines, and a little)
SLOT_WAIT = 5.0
#: a query turned away at once waits this long before its 429, so a loop cannot flood the server
REJECT_DELAY = 1.0
#: at most this many turned-away queries wait at once; beyond it they are answered at once
MAX_REJECTED_WAITING = 64
#: a worker's answer must come within this many seconds, or it is killed
QUERY_DEADLINE = 2.0
#: seconds of worker time all the queries of one request may use together
REQUEST_BUDGET = 2.0
#: workers kept started besides the slots, so a killed one's slot is free again at once
SPARE = 1
#: the longest a worker may take to start
START_TIMEOUT = 10.0
#: the largest answer a worker may send (bytes); its result is bounded far below this
MAX_FRAME = 64 * 1024 * 1024

MESSAGES = {
    "busy": "SQL の問い合わせが混み合っています。数秒おいてから、もう一度お試しください。",
    "unavailable": "SQL の問い合わせを実行する準備ができませんでした。しばらくしてから、もう一度お試しください。",
    "time": "SQL の問い合わせが処理時間の上限（{seconds:g} 秒）を超えたので止めました。"
    "長い文字列に LIKE・GLOB・instr・replace などを何度も使う問い合わせは実行できません。",
    "memory": f"SQL の問い合わせがメモリーの上限（{sqlworker.MEMORY_BYTES // 2**20} MB）を超えたので止めました。",
    "result": f"SQL の問い合わせの結果が大きすぎます（{sqlworker.MAX_RESULT_CHARS:,} 文字・{sqlworker.MAX_CELLS:,} 個の値まで）。"
    "LIMIT で行を、または列を減らしてください。",
    "stopped": "SQL の問い合わせを実行するプロセスが途中で止まりました。問い合わせを変えてお試しください。",
    "interrupted": "SQL の問い合わせが時間の上限（{seconds:g} 秒）を超えたので止めました。条件を絞るか、LIMIT で行を減らしてください。",
}

log = QuietLog(logging.getLogger(__name__))


@dataclass
class Visit:
    """The request being answered: who asks, whether its SQL is the visitor's, and the worker time it has used."""

    client: str
    adhoc: bool
    #: the visitor's query when its result is asked for as CSV
    csv_sql: str | None = None
    spent: float = 0.0


#: set by the guard (guard.py) for each request to /data/
CURRENT: ContextVar[Visit | None] = ContextVar("portal_sql_visit", default=None)


class Busy(Exception):
    """No slot for the query within SLOT_WAIT (429)."""

    status = 429

    def __init__(self):
        super().__init__(MESSAGES["busy"])


class Unavailable(Exception):
    """No worker could be started (503)."""

    status = 503

    def __init__(self):
        super().__init__(MESSAGES["unavailable"])


class QueryTimeLimit(QueryInterrupted, sqlite3.OperationalError):
    """SQLite's time check stopped the query: Datasette's QueryInterrupted, and an SQL error its query page shows."""

    def __init__(self, seconds: float, sql, params):
        QueryInterrupted.__init__(self, None, sql, params)
        self.args = (MESSAGES["interrupted"].format(seconds=seconds),)


class QueryStopped(sqlite3.OperationalError):
    """A worker limit stopped the query: CPU or wall time, memory, or the size of its result."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(MESSAGES[reason].format(seconds=QUERY_DEADLINE))


class CsvQueryError(ValueError):
    """A visitor's query failed while its CSV was asked for (400).

    Datasette's query page catches an SQL error to show it, and its CSV
    export then drops the status: the visitor would get 200 and an empty file.
    """


class Blob(dict):
    """A blob of a visitor's query, shown as its size: {"$blob": true, "bytes": N} in JSON, words on a page."""

    def __init__(self, size: int):
        super().__init__({"$blob": True, "bytes": size})

    def __str__(self) -> str:
        return f"（バイナリ {self['bytes']:,} バイト）"

    def __hash__(self) -> int:
        return hash(("$blob", self["bytes"]))


class Row(tuple):
    """A row of a worker's result, read as Datasette reads sqlite3.Row: by position, by column name, keys()."""

    def __new__(cls, values, columns: list[str], index: dict[str, int]):
        row = super().__new__(cls, values)
        row._columns = columns
        row._index = index
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                key = self._index[key.lower()]
            except KeyError:
                raise IndexError("No item with that key") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._columns)


def results(columns: list[str], rows: list[tuple], truncated: bool) -> Results:
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name.lower(), i)
    made = [Row(tuple(Blob(v[0]) if isinstance(v, tuple) else v for v in row), columns, index) for row in rows]
    return Results(made, truncated, tuple((name, None, None, None, None, None, None) for name in columns))


class Gate:
    """Admits SLOTS queries at once and SLOTS_PER_VISITOR per visitor; the others wait in order of arrival."""

    def __init__(self):
        self.running = 0
        self.by_visitor: Counter[str] = Counter()
        self.waiting: deque[tuple[str, asyncio.Future]] = deque()
        self.rejected_waiting = 0

    def _may_run(self, visitor: str) -> bool:
        return self.running < SLOTS and self.by_visitor[visitor] < SLOTS_PER_VISITOR

    def _take(self, visitor: str) -> None:
        self.running += 1
        self.by_visitor[visitor] += 1

    async def enter(self, visitor: str) -> None:
        if self._may_run(visitor) and not any(v == visitor for v, _ in self.waiting):
            self._take(visitor)
            return
        if sum(v == visitor for v, _ in self.waiting) >= WAITING_PER_VISITOR:
            await self._turn_away()
        future = asyncio.get_running_loop().create_future()
        entry = (visitor, future)
        self.waiting.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(future), SLOT_WAIT)
        except BaseException as exc:
            if entry in self.waiting:
                self.waiting.remove(entry)
            if future.done() and not future.cancelled():
                self.leave(visitor)  # the slot came as the wait ended: pass it on
            else:
                future.cancel()
            if isinstance(exc, TimeoutError):
                raise Busy() from None
            raise

    async def _turn_away(self):
        if self.rejected_waiting < MAX_REJECTED_WAITING:
            self.rejected_waiting += 1
            try:
                await asyncio.sleep(REJECT_DELAY)
            finally:
                self.rejected_waiting -= 1
        raise Busy()

    def leave(self, visitor: str) -> None:
        self.running -= 1
        self.by_visitor[visitor] -= 1
        if not self.by_visitor[visitor]:
            del self.by_visitor[visitor]
        for entry in list(self.waiting):
            waiter, future = entry
            if self.running >= SLOTS:
                break
            if future.done():
                self.waiting.remove(entry)
            elif self._may_run(waiter):
                self.waiting.remove(entry)
                self._take(waiter)
                future.set_result(None)


class Process:
    """One worker process, spoken to in marshal frames over its stdin and stdout.

    It is killed through a pidfd (Linux), which names this process and no
    other: Popen.kill() would first reap a process that has just ended (by
    SIGXCPU), before asyncio's child watcher does, and a plain kill() by pid
    could reach another process once the pid has been reused.
    """

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        try:
            self.pidfd: int | None = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):  # another system, or an old kernel
            self.pidfd = None

    def kill(self) -> None:
        if self.pidfd is None:
            if self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
            return
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    @classmethod
    async def start(cls) -> Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            sqlworker.__name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            # a signal to the server's process group is the server's to handle: it stops its workers itself,
            # and a worker whose server has gone reads the end of its input and exits
            start_new_session=True,
        )
        worker = cls(proc)
        try:
            ready = await asyncio.wait_for(worker.read(), START_TIMEOUT)
        except BaseException:
            await worker.stop()
            raise
        if not (isinstance(ready, tuple) and ready[0] == "ready"):
            await worker.stop()
            raise OSError("the SQL worker did not start")
        return worker

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def read(self):
        (size,) = sqlworker.FRAME.unpack(await self.proc.stdout.readexactly(sqlworker.FRAME.size))
        if size > MAX_FRAME:
            raise ValueError(f"an SQL worker's answer of {size} bytes")
        return marshal.loads(await self.proc.stdout.readexactly(size))

    async def ask(self, job: tuple, timeout: float):
        data = marshal.dumps(job)
        self.proc.stdin.write(sqlworker.FRAME.pack(len(data)) + data)
        await self.proc.stdin.drain()
        return await asyncio.wait_for(self.read(), timeout)

    async def stop(self, grace: float = 0.0) -> int:
        """Kill the process if it has not ended within `grace` seconds, wait for it, close its pipes; its exit status.

        A process that ends by itself is not signalled: Popen.send_signal()
        would reap it before asyncio's child watcher does.
        """
        try:
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), grace)
        except TimeoutError:
            self.kill()
        code = await self.proc.wait()
        self.proc.stdin.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        return code


class Pool:
    """SLOTS + SPARE started workers; one stopped by a limit is replaced in the background."""

    def __init__(self, size: int = SLOTS + SPARE):
        self.size = size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.idle: list[Process] = []
        self.busy: set[Process] = set()
        self.starting = 0
        self.waiters: deque[asyncio.Future] = deque()
        self.tasks: set[asyncio.Task] = set()
        self.failed_at: float | None = None

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            # another event loop (a new server, a test): the processes of the old one are not ours to wait for
            for worker in [*self.idle, *self.busy]:
                worker.kill()
                if worker.pidfd is not None:
                    os.close(worker.pidfd)
            self.__init__()
            self.loop = loop
        return loop

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _fill(self) -> None:
        loop = self._bind()
        if self.failed_at is not None and loop.time() - self.failed_at < 1.0:
            return  # no loop of failing starts
        while len(self.idle) + len(self.busy) + self.starting < self.size:
            self.starting += 1
            self._spawn(self._start_one())

    async def _start_one(self) -> None:
        worker = None
        try:
            worker = await Process.start()
            self.failed_at = None
        except Exception as exc:  # the process table or memory is full: the next query gets 503
            self.failed_at = asyncio.get_running_loop().time()
            if self.size:
                log("pool", "could not start an SQL worker: %s", exc)
        finally:
            self.starting -= 1
        if worker is not None and not self.size:
            await worker.stop()  # the pool was closed meanwhile
        elif worker is not None:
            self.idle.append(worker)
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    async def start(self) -> None:
        """Start the workers now (the server is starting), rather than at the first query."""
        self._fill()

    async def take(self) -> Process:
        loop = self._bind()
        deadline = loop.time() + START_TIMEOUT
        while True:
            self._fill()
            while self.idle:
                worker = self.idle.pop()
                if worker.alive:
                    self.busy.add(worker)
                    self._fill()
                    return worker
                self._spawn(worker.stop())
            if not self.starting or loop.time() >= deadline:
                raise Unavailable()
            waiter = loop.create_future()
            self.waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, deadline - loop.time())
            except TimeoutError:
                raise Unavailable() from None

    def give_back(self, worker: Process) -> None:
        self.busy.discard(worker)
        self.idle.append(worker)

    def discard(self, worker: Process, ending: bool = False) -> None:
        """Kill a worker that overran or failed (or let one that is `ending` end), and start its replacement."""
        self.busy.discard(worker)
        self._spawn(worker.stop(grace=1.0 if ending else 0.0))
        self._fill()

    async def close(self) -> None:
        workers = [*self.idle, *self.busy]
        self.idle, self.busy = [], set()
        self.size = 0
        for worker in workers:
            await worker.stop()


class AdhocSql:
    """The gate and the workers of one server process."""

    def __init__(self):
        self.gate = Gate()
        self.pool = Pool()

    async def execute(self, db: Database, visit: Visit, sql: str, params, truncate: bool, custom_time_limit, page_size):
        loop = asyncio.get_running_loop()
        remaining = REQUEST_BUDGET - visit.spent
        limit_ms = db.ds.sql_time_limit_ms
        if custom_time_limit and custom_time_limit < limit_ms:
            limit_ms = custom_time_limit
        # the request's earlier queries may have used some of its budget: this one gets what is left
        time_limit_ms = min(limit_ms, int((remaining - 0.25) * 1000))
        if time_limit_ms <= 0:
            raise QueryTimeLimit(REQUEST_BUDGET, sql, params)
        # as Database.execute: one row more than asked, to tell whether there are more
        page_size = page_size or db.ds.page_size
        max_rows = db.ds.max_returned_rows
        if max_rows == page_size:
            max_rows += 1
        job = (
            str(db.path),
            sql,
            dict(params) if hasattr(params, "keys") else list(params or ()),
            time_limit_ms,
            max_rows if truncate else 0,
            max(1, min(sqlworker.CPU_SECONDS, int(remaining + 0.999))),
        )
        await self.gate.enter(visit.client)
        try:
            worker = await self.pool.take()
            started = loop.time()
            answer, code = None, None
            try:
                answer = await worker.ask(job, min(QUERY_DEADLINE, remaining))
            except TimeoutError:
                pass
            except (asyncio.IncompleteReadError, ConnectionError, ValueError, EOFError):
                # the process ended: RLIMIT_CPU (SIGXCPU), or something else went wrong in it
                code = await worker.proc.wait()
            finally:
                visit.spent += loop.time() - started
                if answer is None or answer[1] == "memory":
                    self.pool.discard(worker, ending=answer is not None)  # a worker out of memory ends itself
                else:
                    self.pool.give_back(worker)
        finally:
            self.gate.leave(visit.client)
        if answer is None:
            reason = "time" if code in (None, -signal.SIGXCPU) else "stopped"
            log(visit.client, "SQL worker stopped (%s, exit %s): %s", reason, code, one_line(sql))
            raise QueryStopped(reason)
        if answer[0] == "ok":
            return results(*answer[1:])
        kind, message = answer[1], answer[2]
        if kind == "interrupted":
            raise QueryTimeLimit(limit_ms / 1000 if time_limit_ms == limit_ms else REQUEST_BUDGET, sql, params)
        if kind in ("memory", "result"):
            log(visit.client, "SQL worker refused a result (%s): %s", kind, one_line(sql))
            raise QueryStopped(kind)
        error = getattr(sqlite3, kind, None)
        if not (isinstance(error, type) and issubclass(error, sqlite3.Error)):
            error = sqlite3.OperationalError
        raise error(message)


#: one per server process, shared by every build's Datasette
SQL = AdhocSql()


def one_line(sql: str) -> str:
    """SQL for a log line: one line, at most 200 characters, never its parameters."""
    text = " ".join(str(sql).split())
    return text if len(text) <= 200 else text[:199] + "…"


class PortalDatabase(Database):
    """Datasette's database, whose `execute` runs ad-hoc SQL in a worker and writes short, bounded log lines.

    Datasette's own `execute` writes every failed query to stderr with its
    SQL and parameters (7 kB a request for a long search); here the failure
    is one line of at most 200 characters of SQL, rate-limited per visitor.
    """

    async def execute(
        self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None, log_sql_errors=True
    ):
        visit = CURRENT.get()
        try:
            if visit is not None and visit.adhoc:
                return await SQL.execute(self, visit, sql, params, truncate, custom_time_limit, page_size)
            try:
                return await super().execute(sql, params, truncate, custom_time_limit, page_size, log_sql_errors=False)
            except QueryInterrupted:
                limit = self.ds.sql_time_limit_ms
                if custom_time_limit and custom_time_limit < limit:
                    limit = custom_time_limit
                raise QueryTimeLimit(limit / 1000, sql, params) from None
        except sqlite3.Error as exc:
            message = str(exc)
            if log_sql_errors and not isinstance(exc, QueryInterrupted | QueryStopped):
                log(visit.client if visit else "-", "SQL error: %s: %s", one_line(message), one_line(sql))
            if message.startswith("no such table: "):
                nearest = await self.nearest_tables(message.removeprefix("no such table: "))
                if nearest:
                    message = f"{message} (nearest: {', '.join(nearest)})"
            if visit is not None and visit.csv_sql is not None and sql == visit.csv_sql:
                raise CsvQueryError(message) from None
            if message != str(exc):
                raise type(exc)(message) from None
            raise

    async def nearest_tables(self, name: str) -> list[str]:
        """The tables and views named most like `name` (read in this process: it is the portal's own SQL)."""
        token = CURRENT.set(None)
        try:
            hidden = set(await self.hidden_table_names())
            names = [n for n in await self.table_names() + await self.view_names() if n not in hidden]
        except sqlite3.Error:
            return []
        finally:
            CURRENT.reset(token)
        by_lower = {n.lower(): n for n in names}
        return [by_lower[n] for n in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]
