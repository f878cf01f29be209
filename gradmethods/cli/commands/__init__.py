"""Subcommands of the ``gradmethods`` command line, one module each (see :mod:`gradmethods.cli`)."""
