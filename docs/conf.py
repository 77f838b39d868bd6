"""Sphinx configuration for bloop's documentation (``make docs``)."""
import os
import sys

# Document the bloop in this checkout, even without an editable install.
sys.path.insert(0, os.path.abspath(".."))

import bloop  # noqa: E402

project = "bloop"
author = "the bloop maintainers"
copyright = "bloop maintainers"
release = bloop.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"

root_doc = "index"
exclude_patterns = ["_build"]
# furo: a layout that fits code at every width (code blocks scroll inside themselves, the
# sidebars fold away on a narrow screen), with light and dark colour schemes
html_theme = "furo"
pygments_style = "friendly"
pygments_dark_style = "monokai"
html_title = f"bloop {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
