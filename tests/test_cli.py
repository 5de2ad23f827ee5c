"""``python -m jobv1 wait`` and ``status``: saved jobs waited on from a shell (issue 26, 7).

The jobs are saved as references to files, restored through a provider the
test registers, and waited on in virtual time by ``main()`` itself; one test
runs the real command in a subprocess, as a script would.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobv1 import JobStatus, JobV1, _cli
from jobv1.__main__ import main
from jobv1.testing import FakeBackend, FakeClock, Hold, registering

Q, R, D, E, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
    JobStatus.CANCELLED,
)

PROVIDER = "jobv1-cli-test"


class Saved(JobV1):
    """A job of the test's provider: its statuses, one per query, then the last again."""

    reference_provider = PROVIDER

    def __init__(self, job_id: str, statuses: list[Any]) -> None:
        super().__init__(None, job_id)
        self.statuses = list(statuses)

    def submit(self) -> None:
        """Nothing to submit."""

    def status(self) -> JobStatus:
        answer = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    def result(self) -> None:
        """No result."""


@pytest.fixture
def saved(tmp_path: Path) -> Any:
    """Saves jobs to a file and makes the provider restore them: ``saved(*jobs)`` is its path."""
    jobs: dict[str, Saved] = {}

    def save(*made: Saved, as_list: bool = True) -> str:
        jobs.update((job.job_id(), job) for job in made)
        path = tmp_path / f"jobs{len(list(tmp_path.iterdir()))}.json"
        references = [job.to_reference() for job in made]
        path.write_text(json.dumps(references if as_list else references[0]))
        return str(path)

    with registering(PROVIDER, lambda reference: jobs[reference["job_id"]]):
        yield save


def lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects of ``--json`` output, one per line."""
    return [json.loads(line) for line in text.splitlines()]


def test_every_job_done_exits_0_with_a_json_line_each(
    saved: Any, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    first = saved(Saved("a", [Q, R, D]), Saved("b", [D]))
    second = saved(Saved("c", [R, D]), as_list=False)  # one reference, not a list
    assert main(["wait", first, second, "--json"]) == 0
    out, err = capsys.readouterr()
    assert [(line["id"], line["status"]) for line in lines(out)] == [
        ("a", "DONE"),
        ("b", "DONE"),
        ("c", "DONE"),
    ]
    assert {line["provider"] for line in lines(out)} == {PROVIDER}
    assert lines(out)[1]["seconds"] == 0.0  # done at its first query
    assert "DONE" in err  # the monitor, on stderr: stdout is the JSON alone


def test_a_job_that_failed_exits_1(
    saved: Any, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(Saved("ok", [D]), Saved("bad", [R, E]), Saved("gone", [ConnectionError("x")]))
    assert main(["wait", path, "--json"]) == 1
    found = {line["id"]: line for line in lines(capsys.readouterr().out)}
    assert found["bad"]["status"] == "ERROR"
    assert found["gone"]["error"] == "ConnectionError: x"
    assert main(["wait", saved(Saved("stopped", [C]))]) == 1


def test_the_deadline_exits_124_and_a_pipe_gets_plain_lines(
    saved: Any, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(Saved("done", [D]), Saved("never", [R]))
    assert main(["wait", path, "--timeout", "30"]) == 124
    assert fake_clock.monotonic() == 30
    out, _ = capsys.readouterr()
    assert "done" in out  # the monitor's lines, on stdout
    assert "never" in out
    assert main(["wait", path, "--timeout", "0", "--json"]) == 124
    assert [line["status"] for line in lines(capsys.readouterr().out)] == ["DONE", None]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "No such file"),
        ("not json", "Expecting value"),
        ("[]", "holds no reference"),
        ('[{"provider": "nobody", "backend": null, "job_id": "x"}]', "nobody"),
    ],
)
def test_a_file_it_cannot_read_exits_2(
    tmp_path: Path, content: str | None, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jobs.json"
    if content is not None:
        path.write_text(content)
    for command in ("wait", "status"):
        assert main([command, str(path)]) == 2
        assert says in capsys.readouterr().err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["wait"], ["wait", "f.json", "--timeout", "-1"], ["wait", "f", "--timeout=x"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    assert "seconds must be finite and >= 0" in capsys.readouterr().err


def test_status_asks_each_job_once(
    saved: Any, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(Saved("a", [R, D]), Saved("b", [Q]))
    assert main(["status", path]) == 0
    assert capsys.readouterr().out.splitlines() == ["a\tRUNNING", "b\tQUEUED"]
    assert main(["status", path, "--json"]) == 0
    assert [line["status"] for line in lines(capsys.readouterr().out)] == ["DONE", "QUEUED"]
    broken = saved(Saved("x", [KeyError("lost")]))
    assert main(["status", broken]) == 1
    assert capsys.readouterr().out == "x\tKeyError: 'lost'\n"
    assert main(["status", broken, "--json"]) == 1
    assert lines(capsys.readouterr().out)[0]["status"] is None


def test_a_script_runs_the_command(tmp_path: Path) -> None:
    # The real command, as a shell script runs it, on the real clock: the test kit's fake
    # jobs restore in a process where JOBV1_RESTORE_FAKE_JOBS is set.
    backend = FakeBackend()
    jobs = [backend.run(), backend.run(script=[Hold(R, seconds=0.2)]), backend.run(end=E)]
    for name, made in (("good", jobs[:2]), ("all", jobs)):
        (tmp_path / f"{name}.json").write_text(json.dumps([job.to_reference() for job in made]))

    def command(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobv1", *argv],
            capture_output=True,
            text=True,
            env={"JOBV1_RESTORE_FAKE_JOBS": "1", "PATH": ""},
            check=False,
            timeout=120,
        )

    good = command("wait", str(tmp_path / "good.json"), "--json", "--timeout", "30")
    assert good.returncode == 0, good.stderr
    assert [line["status"] for line in lines(good.stdout)] == ["DONE", "DONE"]
    every = command("wait", str(tmp_path / "all.json"), "--timeout", "30")
    assert every.returncode == 1, every.stderr
    assert "ERROR" in every.stdout


@pytest.mark.realtime
@pytest.mark.parametrize(
    ("ends", "said", "code"),
    [
        ([None, None], "all done: 2 jobs", 0),
        ([None, E], "some failed:", 0),
        ([Q], "still running after an hour", 0),
    ],
    ids=["done", "failed", "timeout"],
)
def test_the_sweeps_pages_shell_script_runs(
    tmp_path: Path, ends: list[Any], said: str, code: int
) -> None:
    """The script of docs/sweeps.md, run by a real shell on jobs saved in a file."""
    import re
    import shutil

    page = (Path(__file__).parent.parent / "docs" / "sweeps.md").read_text()
    [script] = re.findall(r"```sh\n(.*?)```", page, re.DOTALL)
    if ends == [Q]:  # the timeout comes first: an hour is made a tenth of a second
        script = script.replace("--timeout 3600", "--timeout 0.1")
    backend = FakeBackend()
    jobs = [
        backend.run(script=[Hold(R, seconds=60)], end=D)
        if end is Q
        else backend.run(script=[Hold(R, seconds=0.1)], end=end)
        for end in ends
    ]
    (tmp_path / "sweep.json").write_text(json.dumps([job.to_reference() for job in jobs]))
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    python = bin_ / "python"  # the script's python: this one, with its environment
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    shell = shutil.which("sh")
    assert shell is not None
    ran = subprocess.run(
        [shell, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"JOBV1_RESTORE_FAKE_JOBS": "1", "PATH": f"{bin_}:/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert ran.returncode == code, ran.stderr
    assert ran.stdout.startswith(said), ran.stdout
    if ends == [None, E]:
        assert '"ERROR"' in ran.stdout


def test_the_commands_write_to_the_streams_they_are_given(
    saved: Any, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_clock.advance(100)  # seconds count from the wait's start, not the clock's
    path = saved(Saved("a", [R, R, R, D]), Saved("odd", ["weird"]))
    out, err = io.StringIO(), io.StringIO()
    assert _cli.wait_command([saved(Saved("w", [R, R, R, D]))], None, True, out, err) == 0
    [line] = lines(out.getvalue())
    # ended at 0.2375 s (Backoff(): queries at 0, 0.05, 0.125, 0.2375), in milliseconds
    assert line == {"id": "w", "provider": PROVIDER, "status": "DONE", "seconds": line["seconds"]}
    assert line["seconds"] in (0.237, 0.238)
    assert "DONE" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert _cli.status_command([path], True, out, err) == 1
    first, odd = lines(out.getvalue())
    assert first == {"id": "a", "provider": PROVIDER, "status": "RUNNING"}
    assert (
        odd["error"]
        == "TypeError: status() of job 'odd' returned 'weird', which is not a JobStatus"
    )
    out = io.StringIO()
    assert _cli.status_command([path], False, out, err) == 1
    assert out.getvalue().splitlines()[0] == "a\tRUNNING"
    assert capsys.readouterr() == ("", "")  # nothing on the process's own streams
