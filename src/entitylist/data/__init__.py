"""The data wing, raw → processed: snapshots, the manifest, parsers, cleaning and the schemas.

Imports only the ground floor (paths, config, errors, atomic, characters). Of the notebooks,
only the cleaning notebook imports it; ARCHITECTURE.md has the map.
"""
