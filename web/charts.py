"""Bar charts as SVG geometry, drawn on the server (no script, no library).

:func:`bars` turns counts into rectangles in a fixed view box; the template
(``chart`` in macros.html) writes them as ``<rect>``s with a ``<title>`` each,
and the chart's figures stay readable as a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, GAP = 480, 120, 2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


def bars(values: list[int], labels: list[str]) -> list[Bar]:
    if not values:
        return []
    top = max(max(values), 1)
    step = WIDTH / len(values)
    found = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = HEIGHT * value / top
        found.append(Bar(index * step, HEIGHT - height, step - GAP, height, value, label))
    return found
