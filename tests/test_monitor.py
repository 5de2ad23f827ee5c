"""jobv1.monitor: the progress display, on a terminal and in a log, in virtual time."""

from __future__ import annotations

import io
import math
import os
import sys
from typing import Any

import pytest

from conftest import ScriptedJob
from jobv1 import JobStatus, JobTimeoutError, Retry, wait
from jobv1.monitor import Monitor, job_monitor
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class QueuedJob(FakeJob):
    """A fake job that knows its place in the queue: ten minus the queries so far."""

    def queue_position(self) -> int | None:
        return max(0, 10 - len(self.queries))


def test_in_a_log_each_change_is_a_line(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    log = io.StringIO()
    job = fake_backend.run(script=[Hold(Q, seconds=10), Hold(R, seconds=20)])
    job.wait_for_final_state(wait=5, on_status=Monitor(log))
    assert log.getvalue().splitlines() == [
        "fake-1: QUEUED · 0.0 s",
        "fake-1: RUNNING · 10.0 s",
        "fake-1: DONE · 30.0 s",
    ]


def test_on_a_terminal_one_line_is_kept_up_to_date(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    screen = Terminal()
    job = fake_backend.run(script=[Hold(R, seconds=10)])
    with Monitor(screen, refresh=None) as monitor:
        job.wait_for_final_state(wait=5, callback=monitor.callback, on_status=monitor)
    assert screen.getvalue() == (
        "\rfake-1: RUNNING · 0.0 s"
        "\rfake-1: RUNNING · 0.0 s"
        "\rfake-1: RUNNING · 5.0 s"
        "\rfake-1: DONE · 10.0 s  \n"  # padded over the longer line before
    )


def test_the_queue_position_is_shown_when_the_job_knows_it(fake_clock: FakeClock) -> None:
    log = io.StringIO()
    job = QueuedJob(None, "q-1", script=[Hold(Q, seconds=10)])
    job.submit()
    monitor = Monitor(log)
    job.wait_for_final_state(wait=5, callback=monitor.callback, on_status=monitor)
    assert log.getvalue().splitlines() == [
        "q-1: QUEUED · 0.0 s · queue position 9",
        "q-1: DONE · 10.0 s",
    ]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("third", "queue position unreadable ('third')"),
        (2.5, "queue position unreadable (2.5)"),
        (None, None),
        (3.0, "queue position 3"),
        (
            ConnectionError("the queue service is down"),
            "queue position unavailable (ConnectionError)",
        ),
    ],
)
def test_a_queue_position_that_cannot_be_read_never_ends_the_wait(
    fake_clock: FakeClock, answer: Any, shown: str | None
) -> None:
    """Issue 11, 9: a ConnectionError or a float from queue_position() aborted the wait."""

    class Odd(FakeJob):
        def queue_position(self) -> Any:
            if isinstance(answer, Exception):
                raise answer
            return answer

    log = io.StringIO()
    job = Odd(None, "odd", script=[Hold(Q, seconds=3)])
    job.submit()
    job.wait_for_final_state(wait=1, on_status=Monitor(log), retry=Retry(ConnectionError))
    first = "odd: QUEUED · 0.0 s" if shown is None else f"odd: QUEUED · 0.0 s · {shown}"
    assert log.getvalue().splitlines() == [first, "odd: DONE · 3.0 s"]


def test_job_monitor_asks_the_queue_position_on_changes_and_now_and_then(
    fake_clock: FakeClock,
) -> None:
    """Issue 11, 9: it called queue_position() after every query: a request each time."""
    asked: list[float] = []

    class Counted(FakeJob):
        def queue_position(self) -> int:
            asked.append(fake_clock.monotonic())
            return 4

    job = Counted(None, "counted", script=[Hold(Q, seconds=100), Hold(R, seconds=10)])
    job.submit()
    job_monitor(job, poll=1, output=io.StringIO())
    assert len(job.queries) == 111
    assert asked == [0, 30, 60, 90]


def test_job_ids_cannot_write_escape_sequences_to_the_terminal(fake_clock: FakeClock) -> None:
    """Issue 11, 9: a remote service controls job ids: this was terminal injection."""
    screen = Terminal()
    hostile = "\x1b]0;owned\x07\x1b[2Jjob\u200b\n"
    job = FakeJob(None, hostile, script=[])
    job.submit()
    job.wait_for_final_state(on_status=Monitor(screen))
    assert screen.getvalue() == "\r\\x1b]0;owned\\x07\\x1b[2Jjob\\u200b\\n: DONE · 0.0 s\n"
    assert "\x1b" not in screen.getvalue()


def test_many_jobs_on_a_terminal_share_a_summary_line(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    screen = Terminal()
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (1, 2)]
    with Monitor(screen, refresh=None) as monitor:
        wait(jobs, poll=1, on_status=monitor)
    assert screen.getvalue() == (
        "\rfake-1: RUNNING · 0.0 s"
        "\r2 jobs: 2 RUNNING · 0.0 s · waiting longest: fake-1, fake-2"
        "\r2 jobs: 1 RUNNING, 1 DONE · 1.0 s · waiting longest: fake-2"
        "\r2 jobs: 2 DONE · 2.0 s" + " " * 37 + "\n"
    )


def test_many_jobs_in_a_log_get_a_line_each(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    log = io.StringIO()
    jobs = [fake_backend.run(script=[Hold(R, seconds=1)], error=OSError()) for _ in range(2)]
    wait(jobs, poll=1, on_status=Monitor(log))
    assert log.getvalue().splitlines() == [
        "fake-1: RUNNING · 0.0 s",
        "fake-2: RUNNING · 0.0 s",
        "fake-1: ERROR · 1.0 s",
        "fake-2: ERROR · 1.0 s",
    ]


def test_closing_ends_a_line_left_open_by_a_timeout(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    screen = Terminal()
    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError), Monitor(screen) as monitor:
        job.wait_for_final_state(timeout=1, on_status=monitor)
    assert screen.getvalue() == "\rfake-1: RUNNING · 0.0 s\n"
    monitor.close()  # a second close writes nothing more
    assert screen.getvalue().count("\n") == 1


def test_quiet_writes_nothing(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    for output in (io.StringIO(), Terminal()):
        job = fake_backend.run(script=[Hold(R, seconds=3)])
        job_monitor(job, quiet=True, output=output)
        assert output.getvalue() == ""


def test_job_monitor_waits_with_a_display(
    fake_clock: FakeClock, fake_backend: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=3)])
    job_monitor(job, poll=1)
    assert capsys.readouterr().out.splitlines() == [
        "fake-1: RUNNING · 0.0 s",
        "fake-1: DONE · 3.0 s",
    ]
    job = fake_backend.run(script=[Hold(R, seconds=3)])
    job_monitor(job)
    assert job.done()
    with pytest.raises(JobTimeoutError):
        job_monitor(fake_backend.run(script=[Hold(R)]), timeout=5, output=io.StringIO())


def test_the_default_output_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    monitor = Monitor()
    monitor(ScriptedJob([D], job_id="s"), D)
    assert capsys.readouterr().out.startswith("s: DONE")
    assert sys.stdout is not None


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"output": 42}, TypeError, "output must be a text stream with write\\(\\), not 42"),
        ({"quiet": 1}, TypeError, "quiet must be a bool, not 1"),
    ],
)
def test_monitor_refuses_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        Monitor(**kwargs)


def test_job_monitor_refuses_a_bad_interval(fake_backend: FakeBackend) -> None:
    with pytest.raises(ValueError, match="poll must be a finite number of seconds"):
        job_monitor(fake_backend.run(), poll=-1)


def test_elapsed_time_counts_from_when_the_job_was_first_seen(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    fake_clock.advance(100)
    log, screen = io.StringIO(), Terminal()
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (2, 4)]
    wait(jobs[:1], poll=1, on_status=Monitor(log))
    assert log.getvalue().splitlines() == ["fake-1: RUNNING · 0.0 s", "fake-1: DONE · 2.0 s"]
    wait(jobs, poll=1, on_status=Monitor(screen))
    assert screen.getvalue().endswith("2 jobs: 2 DONE · 2.0 s" + " " * 37 + "\n")


def test_a_terminal_monitor_starts_a_new_line_for_the_next_wait(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    screen = Terminal()
    monitor = Monitor(screen)
    monitor.close()
    assert screen.getvalue() == ""  # nothing drawn, nothing to end
    for seconds in (1, 2):
        job = fake_backend.run(script=[Hold(R, seconds=seconds)])
        job.wait_for_final_state(wait=1, on_status=monitor)
    assert screen.getvalue() == (
        "\rfake-1: RUNNING · 0.0 s"
        "\rfake-1: DONE · 1.0 s   \n"  # the first line ends when its job does
        "\r2 jobs: 1 RUNNING, 1 DONE · 1.0 s · waiting longest: fake-2"  # the next starts afresh
        "\r2 jobs: 2 DONE · 3.0 s" + " " * 37 + "\n"
    )


def test_the_callback_alone_reports_each_change_once_in_a_log(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    log = io.StringIO()
    job = fake_backend.run(script=[Hold(Q, seconds=2), Hold(R, seconds=2)])
    job.wait_for_final_state(wait=1, callback=Monitor(log).callback)
    assert log.getvalue().splitlines() == ["fake-1: QUEUED · 0.0 s", "fake-1: RUNNING · 2.0 s"]


def test_job_monitor_writes_to_its_output_and_refreshes_at_each_query(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    log, screen = io.StringIO(), Terminal()
    job_monitor(fake_backend.run(script=[Hold(R, seconds=2)]), poll=1, output=log)
    assert log.getvalue().splitlines() == ["fake-1: RUNNING · 0.0 s", "fake-1: DONE · 2.0 s"]
    job_monitor(fake_backend.run(script=[Hold(R, seconds=2)]), poll=1, output=screen)
    assert screen.getvalue() == (
        "\rfake-2: RUNNING · 0.0 s"
        "\rfake-2: RUNNING · 0.0 s"
        "\rfake-2: RUNNING · 1.0 s"
        "\rfake-2: DONE · 2.0 s   \n"
    )


def test_jobs_of_two_backends_with_the_same_id_are_two_lines(fake_clock: FakeClock) -> None:
    """Issue 11: two default FakeBackend()s both make fake-1, which the monitor merged."""
    screen = Terminal()
    first, second = FakeBackend().run(script=[Hold(R, seconds=5)]), FakeBackend().run()
    assert first.job_id() == second.job_id() == "fake-1"
    with Monitor(screen, refresh=None) as monitor:
        wait([first, second], poll=5, on_status=monitor)
    assert screen.getvalue() == (
        "\rfake-1: RUNNING · 0.0 s"
        "\r2 jobs: 1 RUNNING, 1 DONE · 0.0 s · waiting longest: fake-1"
        "\r2 jobs: 2 DONE · 5.0 s" + " " * 37 + "\n"
    )


def test_the_line_for_many_jobs_keeps_its_counts_as_statuses_change(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """Issue 12: the counts are kept as statuses change, not recounted over every job."""
    screen = Terminal()
    jobs = [
        fake_backend.run(script=[Hold(Q, seconds=n % 7), Hold(R, seconds=n % 5)]) for n in range(60)
    ]
    seen: dict[int, JobStatus] = {}

    class Checked(Monitor):
        def __call__(self, job: Any, status: JobStatus) -> None:
            seen[id(job)] = status
            super().__call__(job, status)
            line = screen.getvalue().rsplit("\r", 1)[-1].strip()
            counts = {s: list(seen.values()).count(s) for s in JobStatus}
            words = ", ".join(f"{n} {s.name}" for s, n in counts.items() if n)
            assert line.startswith(f"{len(seen)} jobs: {words} · ") or len(seen) == 1, line

    with Checked(screen) as monitor:
        wait(jobs, poll=1, on_status=monitor)
    assert screen.getvalue().rstrip().endswith("60 jobs: 60 DONE · 10.0 s")


def test_a_monitor_says_what_it_shows_in_its_repr(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    log = Monitor(io.StringIO())
    assert repr(log) == "<Monitor lines: 0 jobs, 0 not final>"
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (1, 100)]
    wait(jobs, timeout=10, on_status=log)
    assert repr(log) == "<Monitor lines: 2 jobs, 1 not final>"
    assert repr(Monitor(Terminal())) == "<Monitor live: 0 jobs, 0 not final>"
    assert repr(Monitor(quiet=True)) == "<Monitor quiet: 0 jobs, 0 not final>"


# ---------------------------------------------------------------------------- issue 14


def test_print_writes_above_the_live_line(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    screen = Terminal()
    job = fake_backend.run(script=[Hold(R, seconds=10)])
    with Monitor(screen, refresh=None) as monitor:
        monitor(job, R)
        monitor.print("submitted", 3, "jobs")
        fake_clock.advance(10)
        monitor(job, D)
        monitor.print("all done")
    assert (
        screen.getvalue()
        == (
            "\rfake-1: RUNNING · 0.0 s"
            "\r" + " " * 23 + "\rsubmitted 3 jobs\n"  # the line is cleared, the text written,
            "\rfake-1: RUNNING · 0.0 s"  # and the line drawn again below it
            "\rfake-1: DONE · 10.0 s  \n"
            "all done\n"  # no live line left: the text alone
        )
    )
    log = io.StringIO()
    Monitor(log).print("a", "b", sep="-")
    Monitor(log, quiet=True).print("never")
    assert log.getvalue() == "a-b\n"


def test_a_live_line_is_cut_to_the_terminals_width(fake_clock: FakeClock) -> None:
    import fcntl
    import struct
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 30, 0, 0))

    class Narrow(Terminal):
        def fileno(self) -> int:
            return follower

    try:
        screen = Narrow()
        jobs = [FakeBackend("a-long-backend-name").run(script=[Hold(R)]) for _ in range(3)]
        monitor = Monitor(screen)
        for job in jobs:
            monitor(job, R)
    finally:
        os.close(leader)
        os.close(follower)
    lines = screen.getvalue().split("\r")[1:]
    assert lines[-1] == "3 jobs: 3 RUNNING · 0.0 s · w"  # 29 columns: never wraps
    assert all(len(line) <= 29 for line in lines)


def test_the_elapsed_time_of_many_jobs_ticks(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    screen = Terminal()
    jobs = [fake_backend.run(script=[Hold(R)]) for _ in range(2)]
    monitor = Monitor(screen)
    monitor.tick()  # nothing drawn yet: nothing to redraw
    assert screen.getvalue() == ""
    for job in jobs:
        monitor(job, R)
    fake_clock.advance(7)
    monitor.tick()
    assert screen.getvalue().endswith(
        "\r2 jobs: 2 RUNNING · 7.0 s · waiting longest: fake-1, fake-2"
    )
    log = io.StringIO()
    logged = Monitor(log)
    logged(jobs[0], R)
    before = log.getvalue()
    logged.tick()  # a log has no line to tick
    assert log.getvalue() == before


def test_a_stand_in_for_a_terminal_is_taken_as_80_columns(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """A stream that says it is a terminal but has no size: the line is cut to 79 columns."""
    screen = Terminal()
    job = FakeBackend("b" * 100).run(script=[Hold(R)])
    Monitor(screen)(job, R)
    [line] = screen.getvalue().split("\r")[1:]
    assert len(line) == 79


def test_a_terminal_that_says_it_has_no_columns_is_taken_as_80(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pseudo-terminal nobody gave a size reports 0 columns: the line is cut to 79."""

    class Sized(Terminal):
        def fileno(self) -> int:
            return 1

    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((0, 24)))
    screen = Sized()
    job = FakeBackend("b" * 100).run(script=[Hold(R)])
    Monitor(screen)(job, R)
    [line] = screen.getvalue().split("\r")[1:]
    assert len(line) == 79


def test_a_closed_live_monitor_draws_a_new_line_for_what_comes_after(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """Closing ends the line; a later update starts another, padded to nothing before it."""
    screen = Terminal()
    job = fake_backend.run(script=[Hold(R)])
    monitor = Monitor(screen, refresh=None)
    monitor(job, R)
    monitor.close()
    monitor(job, D)
    assert screen.getvalue() == "\rfake-1: RUNNING · 0.0 s\n\rfake-1: DONE · 0.0 s\n"


def test_the_live_line_ticks_every_second_by_default() -> None:
    import inspect

    assert inspect.signature(Monitor).parameters["refresh"].default == 1.0


@pytest.mark.realtime
def test_inside_its_block_a_live_monitor_ticks_on_its_own(fake_backend: FakeBackend) -> None:
    import time

    screen = Terminal()
    job = fake_backend.run(script=[Hold(R)])
    with Monitor(screen, refresh=0.01) as monitor:
        monitor(job, R)
        deadline = time.monotonic() + 10
        while screen.getvalue().count("\r") < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    ticks = screen.getvalue().count("\r")
    assert ticks >= 4
    time.sleep(0.05)
    assert screen.getvalue().count("\r") == ticks + 0  # closed: the ticking stopped


def test_a_stream_that_cannot_encode_the_dot_gets_ascii(fake_clock: FakeClock) -> None:
    class Ascii(io.StringIO):
        encoding = "ascii"

    log = Ascii()
    job = FakeBackend().run(script=[Hold(R)])
    job._job_id = "caf\u00e9"
    Monitor(log)(job, R)
    assert log.getvalue() == "caf\\xe9: RUNNING - 0.0 s\n"
    odd = Ascii()
    odd.encoding = "no-such-codec"
    Monitor(odd)(job, R)
    assert odd.getvalue() == "café: RUNNING · 0.0 s\n"


def test_a_display_that_fails_never_ends_the_wait(
    fake_clock: FakeClock, fake_backend: FakeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    class Full(Terminal):
        writes = 0

        def write(self, text: str) -> int:
            Full.writes += 1
            raise OSError(28, "No space left on device")

    job = fake_backend.run(script=[Hold(R, seconds=3)])
    with Monitor(Full()) as monitor:
        job.wait_for_final_state(wait=1, callback=monitor.callback, on_status=monitor)
        monitor.print("still here")
    assert job.status() is D
    assert Full.writes == 1  # the first failure stopped the display
    assert "the monitor stopped displaying: OSError(28, 'No space left on device')" in (
        caplog.messages
    )


def test_in_a_notebook_the_line_is_updated_in_place(
    fake_clock: FakeClock, fake_backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    shown: list[tuple[str, str]] = []

    class Handle:
        def update(self, data: dict[str, str], raw: bool) -> None:
            assert raw is True
            shown.append(("update", data["text/plain"]))

    def display(data: dict[str, str], raw: bool, display_id: bool) -> Handle:
        assert raw
        assert display_id
        shown.append(("display", data["text/plain"]))
        return Handle()

    kernel = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: kernel  # type: ignore[attr-defined]
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = display  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)  # a kernel's stdout is no terminal
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (1, 2)]
    monitor = Monitor()
    assert repr(monitor) == "<Monitor notebook: 0 jobs, 0 not final>"
    wait(jobs, poll=1, on_status=monitor)
    assert shown == [
        ("display", "fake-1: RUNNING · 0.0 s"),
        ("update", "2 jobs: 2 RUNNING · 0.0 s · waiting longest: fake-1, fake-2"),
        ("update", "2 jobs: 1 RUNNING, 1 DONE · 1.0 s · waiting longest: fake-2"),
        ("update", "2 jobs: 2 DONE · 2.0 s"),
    ]
    assert out.getvalue() == ""
    kernel.kernel = None  # IPython in a terminal: not a notebook
    assert repr(Monitor()) == "<Monitor lines: 0 jobs, 0 not final>"
    del kernel.kernel  # a shell with no kernel at all
    assert repr(Monitor()) == "<Monitor lines: 0 jobs, 0 not final>"
    monkeypatch.delitem(sys.modules, "IPython")
    assert repr(Monitor()) == "<Monitor lines: 0 jobs, 0 not final>"


def test_many_jobs_name_the_two_that_waited_longest(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    screen = Terminal()
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (1, 5, 5, 5)]
    with Monitor(screen, refresh=None) as monitor:
        wait(jobs, poll=1, on_status=monitor)
    assert "\r4 jobs: 4 RUNNING · 0.0 s · waiting longest: fake-1, fake-2, ..." in screen.getvalue()
    assert "\r4 jobs: 3 RUNNING, 1 DONE · 1.0 s · waiting longest: fake-2, fake-3, ..." in (
        screen.getvalue()
    )


def test_a_live_line_of_wide_characters_is_cut_to_the_terminals_cells(
    fake_clock: FakeClock,
) -> None:
    """Issue 24, 5: a CJK job id made a 78-cell line on a 40-column pty; each redraw a new row."""
    import fcntl
    import struct
    import termios
    import unicodedata

    def cells(text: str) -> int:
        return sum(
            0
            if unicodedata.combining(char)
            else 2
            if unicodedata.east_asian_width(char) in ("W", "F")
            else 1
            for char in text
        )

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))

    class Narrow(Terminal):
        def fileno(self) -> int:
            return follower

    try:
        screen = Narrow()
        backend = FakeBackend("量子計算機の長い名前のバックエンド")  # 2 cells a character
        jobs = [backend.run(script=[Hold(R)]) for _ in range(3)]
        accented = FakeBackend("e\u0301te\u0301")  # combining accents: no cell of their own
        monitor = Monitor(screen)
        for job in [*jobs, accented.run(script=[Hold(R)])]:
            monitor(job, R)
        alone = Narrow()
        Monitor(alone)(jobs[0], R)
    finally:
        os.close(leader)
        os.close(follower)
    lines = [*screen.getvalue().split("\r")[1:], *alone.getvalue().split("\r")[1:]]
    assert all(cells(line) <= 39 for line in lines)
    assert any(cells(line.rstrip()) >= 38 for line in lines)  # cut at the edge, not before it
    assert not any(line and unicodedata.combining(line[0]) for line in lines)


def test_a_line_is_cut_by_cells() -> None:
    from jobv1.monitor import _cut

    assert _cut("abcdef", 4) == ("abcd", 4)  # ASCII: a cell a character
    assert _cut("ab", 4) == ("ab", 2)
    assert _cut("量子ab", 3) == ("量", 2)  # the second wide character would straddle the edge
    assert _cut("e\u0301e\u0301e", 2) == ("e\u0301e\u0301", 2)  # accents take no cell
    assert _cut("量子", 4) == ("量子", 4)
    assert _cut("\uff21\uff22c", 3) == ("\uff21", 2)  # full-width forms take two cells too


@pytest.mark.parametrize("refresh", [math.inf, 1e10])
def test_a_huge_refresh_is_no_ticking(fake_backend: FakeBackend, refresh: float) -> None:
    """Issue 23: a number check_timeout takes is taken here too; infinity never ticks."""
    import threading

    screen = Terminal()
    job = fake_backend.run(script=[Hold(R)])
    with Monitor(screen, refresh=refresh) as monitor:
        monitor(job, R)
        tickers = [thread for thread in threading.enumerate() if thread.name == "jobv1-monitor"]
        assert len(tickers) == (0 if refresh == math.inf else 1)
        assert all(thread.daemon for thread in tickers)  # never keeps a program from ending
    assert "RUNNING" in screen.getvalue()
