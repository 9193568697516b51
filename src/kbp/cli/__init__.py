"""The kbp command line: one module per command group; each parses flags, calls one function, renders."""
