"""``python -m jobv1`` in a real pseudo-terminal: its lines and the live monitor never share a row."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios

import pytest

pytestmark = pytest.mark.realtime  # the tour runs on real threads, in real time


def run_in_a_terminal(columns: int) -> bytes:
    """The bytes ``python -m jobv1`` writes to a pseudo-terminal ``columns`` wide."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    tour = subprocess.Popen(
        [sys.executable, "-m", "jobv1"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "PYTHONIOENCODING": "utf-8"},
    )
    os.close(follower)
    written = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: the tour is over
                break
            if not chunk:
                break
            written += chunk
    finally:
        os.close(leader)
        assert tour.wait(timeout=60) == 0
    return written


def screen(written: str, columns: int) -> list[str]:
    """The rows a terminal ``columns`` wide shows after ``written``: carriage returns,
    line feeds, wrapping at the edge, and erasing to the end of the line."""
    rows: list[list[str]] = [[]]
    row = column = 0
    index = 0
    while index < len(written):
        char = written[index]
        escape = re.match(r"\x1b\[[0-9;?]*([A-Za-z])", written[index:])
        if escape:
            if escape.group(1) == "K":
                del rows[row][column:]
            index += len(escape.group(0))
            continue
        index += 1
        if char == "\r":
            column = 0
        elif char == "\n":
            row, column = row + 1, 0
        else:
            if column == columns:  # the terminal wraps
                row, column = row + 1, 0
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            column += 1
        while len(rows) <= row:
            rows.append([])
    return ["".join(line).rstrip() for line in rows]


MONITOR = re.compile(r"(\d+ jobs: |sim-\d: (RUNNING|QUEUED|DONE) · )")


@pytest.mark.parametrize("columns", [120, 40])
def test_the_tour_never_writes_two_things_on_one_row(columns: int) -> None:
    rows = screen(run_in_a_terminal(columns).decode(), columns)
    finished = [row for row in rows if "finished:" in row]
    assert len(finished) == 4
    for row in finished:  # the tour's lines above the live line: never mixed with it
        assert row.startswith("   sim-")
        assert not MONITOR.search(row)
        assert "·" not in row
    live = [row for row in rows if MONITOR.search(row)]
    assert live  # the monitor showed its line
    for row in live:  # one line, never wrapped into the next row, never overwritten by halves
        assert MONITOR.match(row), row
        assert len(row) < columns
        assert "finished" not in row
    assert rows[0].startswith("jobv1 ")
    assert any(row.startswith("Tour over in") for row in rows)


def test_help_and_a_bad_option_do_not_run_the_tour(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 24, 8: ``--help`` and ``--bogus`` ran the whole tour and exited 0."""
    from jobv1.__main__ import main

    with pytest.raises(SystemExit) as helped:
        main(["--help"])
    assert helped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m jobv1")
    assert "tour" in out
    with pytest.raises(SystemExit) as refused:
        main(["--bogus"])
    assert refused.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_closed_pipe_and_ctrl_c_end_the_tour_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m jobv1 | head -3`` ended in a BrokenPipeError traceback, and so did Ctrl-C."""
    import signal

    from jobv1 import __main__ as tour_module

    # A tour that never ends, writing a line every 10 ms: the pipe closes, and Ctrl-C comes,
    # while it runs, however busy the machine (the real tour may end first on a busy one).
    # (SIGINT set back to Python's handler: a shell's background job starts with it ignored.)
    endless = (
        "import signal, time, jobv1.__main__ as tour\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "def lines():\n"
        "    while True:\n"
        "        print('a line of the tour', flush=True)\n"
        "        time.sleep(0.01)\n"
        "tour.tour = lines\n"
        "raise SystemExit(tour.main([]))\n"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", endless], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader.stdout is not None
    assert reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()  # head -1 has read enough
    assert reader.wait(timeout=60) == 1
    assert b"Traceback" not in reader.stderr.read()
    reader.stderr.close()
    stopped = subprocess.Popen(
        [sys.executable, "-c", endless], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert stopped.stdout is not None
    stopped.stdout.readline()
    stopped.send_signal(signal.SIGINT)
    _out, err = stopped.communicate(timeout=60)
    assert stopped.returncode == 130
    assert b"Traceback" not in err

    # The same, in this process, where coverage sees it.
    def closed() -> int:
        raise BrokenPipeError

    def interrupted() -> int:
        raise KeyboardInterrupt

    moved: list[int] = []

    def dup2(source: int, target: int) -> None:
        moved.append(target)
        os.close(source)

    # os.dup2 is pytest's own way to capture output: patched for the call alone.
    with open(os.devnull, "w") as nowhere, monkeypatch.context() as patched:
        patched.setattr(sys, "stdout", nowhere)  # a stdout with a file number
        patched.setattr(tour_module, "tour", closed)
        patched.setattr(os, "dup2", dup2)
        assert tour_module.main([]) == 1
        patched.undo()
        assert moved == [nowhere.fileno()]
    with monkeypatch.context() as patched:
        patched.setattr(tour_module, "tour", interrupted)
        assert tour_module.main(["tour"]) == 130
