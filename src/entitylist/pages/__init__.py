"""The pages wing behind `publish`: templates, page export and checks, fonts, cards, the guard.

Imports the ground floor, the data wing and the notebook API; notebooks never import it
directly (they call `publish`). ARCHITECTURE.md has the map.
"""
