"""Whether the paths a pipeline step reads and writes (a file, a folder or a glob) cover a file,
or can meet: shared by the pipeline's checks and the plan.
"""

from fnmatch import fnmatchcase

GLOB = "*?["


def matches(pattern: str, path: str) -> bool:
    """Whether a read or write (a file, a folder or a glob) covers a file path."""
    want, have = pattern.strip("/").split("/"), path.split("/")
    if len(have) < len(want):
        return False
    return all(fnmatchcase(have[i], glob) for i, glob in enumerate(want))


def head(segment: str) -> str:
    """What comes before a segment's first wildcard (it has one)."""
    return segment[: min(segment.index(c) for c in GLOB if c in segment)]


def parts_overlap(a: str, b: str) -> bool:
    """Whether two path segments, either possibly a glob, can name the same file."""
    if fnmatchcase(a, b) or fnmatchcase(b, a):
        return True
    if any(c in a for c in GLOB) and any(c in b for c in GLOB):
        # Compare what comes before the first wildcard: "overseas-share-*" and
        # "overseas-share-at-listing.*" can meet, "revenue-*" and "rules-*" cannot.
        head_a, head_b = head(a), head(b)
        return head_a.startswith(head_b) or head_b.startswith(head_a)
    return False


def overlaps(read: str, write: str) -> bool:
    """Whether a step that reads `read` can see a file written under `write`."""
    a, b = read.strip("/").split("/"), write.strip("/").split("/")
    # A folder covers what is under it: compare as many segments as the shorter has.
    return all(parts_overlap(a[i], b[i]) for i in range(min(len(a), len(b))))
