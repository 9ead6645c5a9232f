"""Output formats; each is a pure function of a :class:`~portcheck.run.Report`."""
