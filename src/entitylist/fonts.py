"""A CJK font that travels with the package, so Chinese names rasterise on any machine.

The shipped files are subsets of Noto Sans CJK SC (SIL Open Font License 1.1) holding the
Chinese characters that occur in data/raw. `make font` rebuilds them from Debian's
fonts-noto-cjk after new data brings new characters; a test fails until it is run.
"""

import re
from pathlib import Path

from entitylist import paths

FONT_DIR = Path(__file__).resolve().parent / "fonts"
NOTO = Path("/usr/share/fonts/opentype/noto")
WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}
SC_INDEX = 2  # Noto Sans CJK SC within Debian's .ttc collections
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_registered = False


def cjk_characters(text: str) -> set[str]:
    """Return the CJK characters in a text."""
    return set(CJK.findall(text))


def data_characters(raw_dir: Path = paths.RAW) -> set[str]:
    """Every CJK character in the raw tables: all a chart could ever need."""
    found: set[str] = set()
    for path in sorted(raw_dir.rglob("*.csv")):
        found |= cjk_characters(path.read_text(encoding="utf-8"))
    return found


def shipped_characters() -> set[str]:
    """The characters the shipped subsets can draw, in every weight."""
    from fontTools.ttLib import TTFont

    weights = [set(map(chr, TTFont(p).getBestCmap())) for p in sorted(FONT_DIR.glob("*.otf"))]
    return set.intersection(*weights) if weights else set()


def build(characters: set[str]) -> list[Path]:
    """Subset Noto Sans CJK SC to the characters (plus ASCII) in each weight."""
    from fontTools import subset

    written = []
    text = "".join(sorted(characters)) + "".join(map(chr, range(0x20, 0x7F)))
    for weight, collection in WEIGHTS.items():
        options = subset.Options()
        options.font_number = SC_INDEX
        options.name_IDs = ["*"]
        font = subset.load_font(str(NOTO / collection), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        target = FONT_DIR / f"NotoSansCJKsc-{weight}-subset.otf"
        FONT_DIR.mkdir(exist_ok=True)
        subset.save_font(font, str(target), options)
        written.append(target)
    return written


def register() -> None:
    """Make the shipped fonts available to vl-convert's rasteriser, once per process."""
    global _registered
    if not _registered:
        import vl_convert

        vl_convert.register_font_directory(str(FONT_DIR))
        _registered = True


if __name__ == "__main__":
    for path in build(data_characters()):
        print(f"wrote {path.relative_to(paths.ROOT)}")
