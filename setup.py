"""Package list: harness/ as ``harness``; scenarios/ and fixtures/ as ``streamharness.scenarios`` and
``streamharness.fixtures`` (the top-level names "scenarios" and "fixtures" belong to other PyPI projects)."""
from setuptools import find_packages, setup

RENAMED = {"scenarios": "streamharness.scenarios", "fixtures": "streamharness.fixtures"}

packages = find_packages(include=["harness", "harness.*"])
for folder, name in RENAMED.items():
    packages += [name + p[len(folder):] for p in find_packages(include=[folder, folder + ".*"])]

setup(packages=packages, package_dir={"harness": "harness", **{name: folder for folder, name in RENAMED.items()}})
