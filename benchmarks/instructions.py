"""Instructions per wait on a job already DONE: jobv1's ``wait_for_final_state`` against Qiskit's.

    python -m benchmarks.instructions

Counted with ``valgrind --tool=callgrind``, which counts the instructions
the interpreter runs: unlike a clock, the count is the same on an idle and
a busy machine. Each side runs in a fresh interpreter (hash seed fixed)
twice, with ``FEWER`` and ``MORE`` waits after one to warm up; the
difference over ``MORE - FEWER`` is the cost of one wait. (What importing
Qiskit costs varies by tens of millions of instructions from run to run:
100,000 waits make that about 100 a wait.) Without valgrind or Qiskit, the
figures are ``None``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

#: How many waits the two runs of each side make: the difference is what is counted.
FEWER, MORE = 10_000, 110_000

_PROGRAM = """
import sys
side, count = sys.argv[1], int(sys.argv[2])
if side == "jobv1":
    from jobv1 import JobStatus, JobV1
else:
    from qiskit.providers import JobStatus, JobV1
DONE = JobStatus.DONE
class Done(JobV1):
    def __init__(self):
        JobV1.__init__(self, None, "done")
    def submit(self):
        pass
    def result(self):
        pass
    def status(self):
        return DONE
job = Done()
job.wait_for_final_state()
for _ in range(count):
    job.wait_for_final_state()
"""


def _collected(program: str, side: str, count: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                program,
                side,
                str(count),
            ],
            capture_output=True,
            text=True,
            check=True,
            # The same hashes each run: what an import does may depend on them.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    found = re.search(r"Collected : (\d+)", run.stderr)
    assert found is not None, run.stderr
    return int(found.group(1))


def per_wait() -> dict[str, float | None]:
    """Instructions per wait on a DONE job, for each side; ``None`` where it cannot be counted."""
    sides: dict[str, float | None] = {"jobv1": None, "qiskit": None}
    if shutil.which("valgrind") is None:
        return sides
    with tempfile.TemporaryDirectory() as folder:
        program = os.path.join(folder, "done_wait.py")
        with open(program, "w", encoding="utf-8") as file:
            file.write(_PROGRAM)
        for side in sides:
            if side == "qiskit":
                try:
                    import qiskit.providers  # noqa: F401
                except ImportError:
                    continue
            _collected(program, side, 0)  # compiles what the runs import
            fewer = _collected(program, side, FEWER)
            sides[side] = (_collected(program, side, MORE) - fewer) / (MORE - FEWER)
    return sides


def main() -> None:
    sides = per_wait()
    ours, theirs = sides["jobv1"], sides["qiskit"]
    for side, count in sides.items():
        print(f"{side}: {'n/a' if count is None else f'{count:,.0f}'} instructions per wait")
    if ours is not None and theirs is not None:
        print(f"ratio: {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
