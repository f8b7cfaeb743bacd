"""Reading processes from Linux ``/proc``: their state, parent and children."""

from __future__ import annotations

from pathlib import Path


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, ..., utime at 11, nice at 16."""
    return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def children_of(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(stat_fields(int(entry.name))[1]) == parent:
                    found.add(int(entry.name))
            except OSError:
                continue
    return found
