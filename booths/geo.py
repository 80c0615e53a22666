"""The investment map's geography: Lanhai, an invented coastal city, as polygons in a
1000 × 700 SVG coordinate space (drawn by hand for the demo; no tiles from outside).

Districts not drawn here are listed beside the map. A project's pin is placed at a
stable point inside its district, derived from its id, so pins do not jump between visits.
"""

import hashlib
from dataclasses import dataclass

WIDTH, HEIGHT = 1000, 700
# The sea, as a polygon along the south-east coast.
SEA = "560,700 600,610 690,560 760,470 860,420 930,300 1000,260 1000,700"


@dataclass(frozen=True)
class Area:
    slug: str
    points: tuple[tuple[int, int], ...]
    label: tuple[int, int]
    fill: str

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.points)


AREAS = (
    Area(
        "xiyuan-hitech",
        ((40, 60), (330, 40), (360, 260), (220, 330), (50, 300)),
        (190, 180),
        "#dbeafe",
    ),
    Area("old-town", ((330, 40), (560, 70), (580, 260), (360, 260)), (460, 160), "#fde2e4"),
    Area(
        "jinshan-bio",
        ((50, 300), (220, 330), (300, 480), (160, 600), (30, 520)),
        (160, 450),
        "#dcfce7",
    ),
    Area(
        "harbour",
        ((360, 260), (580, 260), (640, 400), (560, 500), (380, 470), (300, 480), (220, 330)),
        (450, 370),
        "#e0e7ff",
    ),
    Area(
        "binhai-ftz",
        ((560, 70), (800, 90), (860, 260), (760, 330), (640, 400), (580, 260)),
        (700, 210),
        "#fef3c7",
    ),
    Area(
        "east-bay",
        ((800, 90), (980, 120), (960, 250), (900, 290), (860, 260)),
        (900, 190),
        "#f3e8ff",
    ),
    Area(
        "shanhu-marine",
        ((300, 480), (380, 470), (560, 500), (600, 610), (520, 680), (160, 680), (160, 600)),
        (400, 590),
        "#ccfbf1",
    ),
)
BY_SLUG = {area.slug: area for area in AREAS}


def _inside(x: float, y: float, points: tuple[tuple[int, int], ...]) -> bool:
    inside = False
    j = len(points) - 1
    for i, (xi, yi) in enumerate(points):
        xj, yj = points[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def pin(area: Area, key: int) -> tuple[int, int]:
    """A stable point inside ``area`` for the thing numbered ``key``."""
    xs = [p[0] for p in area.points]
    ys = [p[1] for p in area.points]
    seed = hashlib.sha256(str(key).encode()).digest()
    for i in range(0, 30, 2):
        fx, fy = seed[i] / 255, seed[i + 1] / 255
        x = min(xs) + 15 + fx * (max(xs) - min(xs) - 30)
        y = min(ys) + 15 + fy * (max(ys) - min(ys) - 30)
        if _inside(x, y, area.points) and abs(x - area.label[0]) + abs(y - area.label[1]) > 40:
            return round(x), round(y)
    return area.label[0], area.label[1] + 24


LABEL_SIZE = 20  # font size of a district's label, in map units
_MARGIN = 8


def _width(text: str, size: int) -> float:
    """A rough rendered width: wide (CJK, Hangul, kana) characters take a full em, others
    about 0.56 em (Noto Sans averages for Latin and Arabic)."""
    return sum(size if ord(c) >= 0x1100 else size * 0.56 for c in text)


def _wrap(text: str, size: int, width: float) -> list[str]:
    if _width(text, size) <= width:
        return [text]
    if " " in text:  # break between words, filling each line
        lines: list[str] = []
        for word in text.split():
            if lines and _width(lines[-1] + " " + word, size) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines
    # A CJK run: break between characters, into lines of about equal length.
    count = -(-len(text) // max(1, int(width // size)))
    per_line = -(-len(text) // count)
    return [text[i : i + per_line] for i in range(0, len(text), per_line)]


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    size: int
    lines: tuple[str, ...]


def label(area: Area, text: str, size: int = LABEL_SIZE) -> Label:
    """Where and how a district's name is written: wrapped onto lines no wider than the
    district (about), and moved inwards so that no line runs off the map's edges."""
    xs = [p[0] for p in area.points]
    room = max(max(xs) - min(xs) - 2 * _MARGIN, size * 4)
    lines = _wrap(text, size, room)
    while size > 12 and max(_width(line, size) for line in lines) > WIDTH - 2 * _MARGIN:
        size -= 2
    half = max(_width(line, size) for line in lines) / 2
    x = min(max(area.label[0], half + _MARGIN), WIDTH - half - _MARGIN)
    y = area.label[1] - (len(lines) - 1) * size * 0.6  # the block stays centred on the anchor
    return Label(round(x, 1), round(y, 1), size, tuple(lines))
