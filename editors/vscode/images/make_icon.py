#!/usr/bin/env python3
"""Draws the extension's icon, icon.png (128 x 128 pixels, RGBA), with the
standard library only: a mesh of four nodes on a dark rounded square.

    python3 editors/vscode/images/make_icon.py    (rewrites icon.png beside it)
"""

import math
import os
import struct
import zlib

SIZE = 128
SAMPLES = 4  # per axis, for anti-aliasing

BACKGROUND = (24, 36, 66)
EDGE = (94, 234, 212)
NODE = (245, 185, 66)

NODES = [(0.50, 0.22), (0.21, 0.74), (0.79, 0.74), (0.50, 0.56)]
EDGES = [(0, 1), (1, 2), (2, 0), (0, 3), (1, 3), (2, 3)]


def in_rounded_square(x, y, radius=0.18):
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def distance_to_segment(x, y, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (ax + t * dx), y - (ay + t * dy))


def colour_at(x, y):
    """The colour of a point of the unit square, or None outside the icon."""
    if not in_rounded_square(x, y):
        return None
    for i, (nx, ny) in enumerate(NODES):
        radius = 0.065 if i == 3 else 0.085
        if math.hypot(x - nx, y - ny) <= radius:
            return NODE
    for a, b in EDGES:
        if distance_to_segment(x, y, NODES[a], NODES[b]) <= 0.022:
            return EDGE
    return BACKGROUND


def pixel(px, py):
    r = g = b = a = 0
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x = (px + (sx + 0.5) / SAMPLES) / SIZE
            y = (py + (sy + 0.5) / SAMPLES) / SIZE
            c = colour_at(x, y)
            if c is not None:
                r, g, b, a = r + c[0], g + c[1], b + c[2], a + 1
    if a == 0:
        return (0, 0, 0, 0)
    return (r // a, g // a, b // a, 255 * a // (SAMPLES * SAMPLES))


def png(rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in rows)
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main():
    rows = [[pixel(px, py) for px in range(SIZE)] for py in range(SIZE)]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")
    with open(out, "wb") as f:
        f.write(png(rows))


if __name__ == "__main__":
    main()
