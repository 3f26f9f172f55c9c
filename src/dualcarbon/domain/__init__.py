"""Pure computation core: no I/O, no database, no HTTP. Every function states its units and its source."""
