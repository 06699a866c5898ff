"""The optional C extensions; everything else about the package is in pyproject.toml.

``optional=True``: where no C compiler is found the install still succeeds; the trees
are then scored with scikit-learn's compiled predictors (see trees.py), pages are
walked into blocks in Python (see blocks.py), texts searched with str.find
(see needles.py), and the features' class words, text counts, frame ids and the
second pass's group pooling worked out with numpy and dicts (see features.py).
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("dechaff._treescore", ["src/dechaff/_treescore.c"], optional=True),
    Extension("dechaff._blockwalk", ["src/dechaff/_blockwalk.c"], optional=True),
    Extension("dechaff._textscan", ["src/dechaff/_textscan.c"], optional=True),
    Extension("dechaff._frames", ["src/dechaff/_frames.c"], optional=True),
])
