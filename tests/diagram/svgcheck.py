#!/usr/bin/python3
"""SVG checks for the diagram suite (standard library only).

  svgcheck.py valid FILE        FILE is an SVG document from Graphviz; prints
                                "nodes=N edges=N clusters=N"
  svgcheck.py same EXPECTED GOT the two pictures are the same drawing: every
                                element, class, id, title, text, colour, font
                                and style in the same order; only geometry
                                (coordinates, sizes, paths) may differ, since
                                it follows the fonts' metrics on the machine.
                                Prints the first difference.
"""
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
GEOMETRY = {
    "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "rx", "ry", "r", "d",
    "points", "width", "height", "viewBox", "transform",
}


def load(path):
    try:
        return ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        sys.exit(f"{path}: not a well-formed SVG document: {e}")


def valid(path):
    root = load(path)
    if root.tag != SVG + "svg":
        sys.exit(f"{path}: root element is {root.tag}, not svg")
    counts = {"node": 0, "edge": 0, "cluster": 0}
    graphs = 0
    for g in root.iter(SVG + "g"):
        cls = g.get("class")
        if cls in counts:
            counts[cls] += 1
        graphs += cls == "graph"
    if graphs != 1 or counts["node"] == 0:
        sys.exit(f"{path}: no Graphviz graph in it ({graphs} graphs, {counts['node']} nodes)")
    print(f"nodes={counts['node']} edges={counts['edge']} clusters={counts['cluster']}")


def shape(root):
    out = []
    for el in root.iter():
        attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if k not in GEOMETRY))
        out.append((el.tag.replace(SVG, ""), attrs, (el.text or "").strip()))
    return out


def same(expected, got):
    a, b = shape(load(expected)), shape(load(got))
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"element {i} differs:\n  {expected}: {x}\n  {got}: {y}")
    if len(a) != len(b):
        sys.exit(f"{expected} has {len(a)} elements, {got} has {len(b)}")
    print(f"same drawing ({len(a)} elements)")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "valid":
        valid(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "same":
        same(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
