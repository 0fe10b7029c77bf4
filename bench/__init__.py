"""The desk's benchmark: render cost, page weight, time to draw, cleaning scale (make bench)."""
