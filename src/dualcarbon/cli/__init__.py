"""Command-line interface (Typer). Thin: parse arguments, call one function, print the result."""
