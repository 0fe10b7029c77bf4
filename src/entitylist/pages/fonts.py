"""The desk's one font, shipped with the package: pages, chart SVGs and social cards use it.

The shipped files are subsets of Noto Sans CJK SC (SIL Open Font License 1.1) holding
Latin text and the Chinese characters that occur in data/raw, in two weights and two
formats: OpenType for vl-convert, which measures chart text and rasterises cards with it,
and WOFF2 for the pages, which load it from site/static/ (a relative URL, no other host).
`make font` rebuilds them from Debian's fonts-noto-cjk after new data brings new
characters; a test fails until it is run.
"""

import functools
import re
from pathlib import Path

import vl_convert
from fontTools.ttLib import TTFont

from entitylist import paths
from entitylist.errors import ConfigError

FONT_DIR = paths.PACKAGE / "fonts"
FAMILY = "Noto Sans CJK SC"
NOTO = Path("/usr/share/fonts/opentype/noto")
WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}
CSS_WEIGHTS = {"Regular": 400, "Bold": 700}
SC_INDEX = 2  # Noto Sans CJK SC within Debian's .ttc collections
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Latin text in English prose and charts: ASCII, Latin-1 and Latin Extended-A (names with
# accents), typographic punctuation, the minus sign, arrows and the euro sign.
LATIN = (
    [(0x20, 0x7E), (0xA0, 0x17F), (0x2010, 0x2027), (0x2030, 0x203A)]
    + [(0x20AC, 0x20AC), (0x2122, 0x2122), (0x2190, 0x2193), (0x2212, 0x2212)]
    + [(0x2248, 0x2248)]
)
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


def latin_characters() -> set[str]:
    """The Latin letters and punctuation every subset carries."""
    return {chr(code) for start, end in LATIN for code in range(start, end + 1)}


def shipped_characters() -> set[str]:
    """The characters the shipped subsets can draw, in every weight."""
    weights = [set(map(chr, TTFont(p).getBestCmap())) for p in sorted(FONT_DIR.glob("*.otf"))]
    return set.intersection(*weights) if weights else set()


def web_fonts() -> dict[str, int]:
    """The WOFF2 files a page loads, by file name, with their CSS font weight."""
    return {f"NotoSansCJKsc-{weight}-subset.woff2": css for weight, css in CSS_WEIGHTS.items()}


@functools.cache
def advances(bold: bool) -> tuple[dict[str, float], float]:
    """Each character's advance width in ems in a shipped weight, and the widest advance."""
    font = TTFont(FONT_DIR / f"NotoSansCJKsc-{'Bold' if bold else 'Regular'}-subset.otf")
    per_em = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    found = {chr(code): metrics[name][0] / per_em for code, name in font.getBestCmap().items()}
    return found, max(found.values())


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """How wide a line of text draws in the shipped font, in px (no kerning: an upper bound
    within a pixel or two, as vl-convert and the browser lay it out)."""
    found, widest = advances(bold)
    return sum(found.get(character, widest) for character in text) * size


def proportional(font: "TTFont") -> dict[str, str]:
    """The font's 'pwid' substitutions: each full-width glyph's proportional (Latin) form."""
    gsub = font["GSUB"].table
    found: dict[str, str] = {}
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag != "pwid":
            continue
        for index in record.Feature.LookupListIndex:
            for table in gsub.LookupList.Lookup[index].SubTable:
                table = getattr(table, "ExtSubTable", table)
                found.update(getattr(table, "mapping", {}))
    return found


def latin_punctuation(font: "TTFont") -> None:
    """Map Latin punctuation to its proportional glyphs: the SC font's defaults for quotes
    and the ellipsis are full-width CJK forms, which leave a gap in English text."""
    swaps = proportional(font)
    widths = font["hmtx"].metrics
    latin = latin_characters()
    for table in font["cmap"].tables:
        for code, glyph in list(table.cmap.items()):
            narrower = swaps.get(glyph)
            if chr(code) in latin and narrower and widths[narrower][0] < widths[glyph][0]:
                table.cmap[code] = narrower


def build(characters: set[str]) -> list[Path]:
    """Subset Noto Sans CJK SC to Latin plus the characters, as OpenType and WOFF2."""
    # lazy: only `make font` subsets fonts; every chart imports this module to measure text.
    from fontTools import subset

    missing = [name for name in WEIGHTS.values() if not (NOTO / name).is_file()]
    if missing:
        msg = (
            f"{NOTO / missing[0]} is missing: make font builds the subsets from Debian's "
            "fonts-noto-cjk (apt-get install fonts-noto-cjk)"
        )
        raise ConfigError(msg)
    written = []
    text = "".join(sorted(characters | latin_characters()))
    for weight, collection in WEIGHTS.items():
        for flavor, suffix in ((None, "otf"), ("woff2", "woff2")):
            options = subset.Options()
            options.font_number = SC_INDEX
            options.name_IDs = ["*"]
            options.flavor = flavor
            font = subset.load_font(str(NOTO / collection), options)
            latin_punctuation(font)
            subsetter = subset.Subsetter(options)
            subsetter.populate(text=text)
            subsetter.subset(font)
            target = FONT_DIR / f"NotoSansCJKsc-{weight}-subset.{suffix}"
            FONT_DIR.mkdir(exist_ok=True)
            subset.save_font(font, str(target), options)
            written.append(target)
    return written


def register() -> None:
    """Make the shipped fonts available to vl-convert's rasteriser, once per process."""
    global _registered
    if not _registered:
        vl_convert.register_font_directory(str(FONT_DIR))
        _registered = True


if __name__ == "__main__":
    try:
        for path in build(data_characters()):
            print(f"wrote {path.relative_to(paths.ROOT)}")
    except ConfigError as exc:
        msg = f"error: {exc}"
        raise SystemExit(msg) from None
