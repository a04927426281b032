"""Scripts that re-vendor upstream data the program reads (run by hand, never at plan time)."""
