"""Entry points: the command line, the launcher, exports and the demo."""
