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
    return all(fnmatchcase(part, glob) for part, glob in zip(have, want, strict=False))


def parts_overlap(a: str, b: str) -> bool:
    """Whether two path segments, either possibly a glob, can name the same file."""
    if fnmatchcase(a, b) or fnmatchcase(b, a):
        return True
    if any(c in a for c in GLOB) and any(c in b for c in GLOB):
        # Compare what comes before the first wildcard: "overseas-share-*" and
        # "overseas-share-at-listing.*" can meet, "revenue-*" and "rules-*" cannot.
        head_a = a[: min((a.index(c) for c in GLOB if c in a), default=len(a))]
        head_b = b[: min((b.index(c) for c in GLOB if c in b), default=len(b))]
        return head_a.startswith(head_b) or head_b.startswith(head_a)
    return False


def overlaps(read: str, write: str) -> bool:
    """Whether a step that reads `read` can see a file written under `write`."""
    a, b = read.strip("/").split("/"), write.strip("/").split("/")
    return all(parts_overlap(x, y) for x, y in zip(a, b, strict=False))
