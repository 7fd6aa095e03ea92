"""Map every package of the `hemosight` namespace to its home folder (the rest is in pyproject.toml).

`hemosight` is an implicit namespace package spread over four folders: the command line in ./hemosight, the
ML core in models/hemosight/ml, the platform core and the API in backend/hemosight/{core,api}, the worker in
worker/hemosight/worker. setuptools' declarative `packages.find` takes one folder per namespace, hence this file.
"""

import os

from setuptools import find_namespace_packages, setup

HOMES = (".", "models", "backend", "worker")

packages: list[str] = []
package_dir: dict[str, str] = {}
for home in HOMES:
    for package in find_namespace_packages(home, include=["hemosight.*"]):
        if "__pycache__" in package:
            continue
        packages.append(package)
        package_dir[package] = os.path.normpath(os.path.join(home, *package.split(".")))

setup(packages=packages, package_dir=package_dir)
