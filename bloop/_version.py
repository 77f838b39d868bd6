"""bloop's version, in a module of its own so that any module can read it without importing
the package's ``__init__`` (which imports everything); ``setup.py`` reads it too."""

__version__ = "4.0.0.dev0"
