"""The optional C tree scorer; everything else about the package is in pyproject.toml.

``optional=True``: where no C compiler is found the install still succeeds, and the
trees are scored with scikit-learn's compiled predictors instead (see trees.py).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("dechaff._treescore", ["src/dechaff/_treescore.c"],
                             optional=True)])
