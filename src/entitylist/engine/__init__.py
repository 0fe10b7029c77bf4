"""The render engine beside the wings: plan → run → check → release, kernels and preview.

May import every wing; nothing outside the engine imports it but the command line, and no
notebook does. ARCHITECTURE.md has the map.
"""
