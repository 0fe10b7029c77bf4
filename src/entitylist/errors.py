"""Named errors: every message says which file, row, column or parameter is at fault."""


class DeskError(Exception):
    """Base class for every error the desk's code raises on purpose."""


class RawDataError(DeskError):
    """A raw file is missing, malformed, or differs from its manifest entry."""


class ManifestError(RawDataError):
    """A raw file's hash or listing disagrees with data/raw/manifest.json."""


class SchemaError(DeskError):
    """A processed table breaks its schema (type, category, range or key)."""


class ParameterError(DeskError):
    """A notebook or CLI parameter has an unknown name or a bad value."""


class FetchError(DeskError):
    """A live source could not be reached or returned something unusable."""


class ParseError(DeskError):
    """A source document could not be parsed into rows."""


class RenderError(DeskError):
    """A notebook failed to execute or a page failed its checks."""


class WordsError(DeskError):
    """A template of words (prose, a chart's headline or note) cannot be filled."""


class ConfigError(DeskError):
    """A hand-kept configuration file in notebooks/ is missing or invalid."""


class GuardError(DeskError):
    """A file bound for site/ shows something that may not be published."""


class PublishError(DeskError):
    """The outputs could not be published; the last good ones are still in place."""


class BusyError(DeskError):
    """Another render holds this checkout's lock and the caller chose not to wait."""


class RemovalError(DeskError):
    """A render would remove rows from a published table without being told to."""
