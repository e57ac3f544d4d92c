"""Package list: harness/ as ``harness``; scenarios/, fixtures/ and loadtests/ as
``streamharness.scenarios``, ``streamharness.fixtures`` and ``streamharness.loadtests`` (the top-level names "scenarios" and "fixtures" belong to other PyPI projects)."""
from setuptools import find_packages, setup

RENAMED = {"scenarios": "streamharness.scenarios", "fixtures": "streamharness.fixtures",
           "loadtests": "streamharness.loadtests"}

packages = find_packages(include=["harness", "harness.*"])
for folder, name in RENAMED.items():
    packages += [name + p[len(folder):] for p in find_packages(include=[folder, folder + ".*"])]

setup(packages=packages, package_dir={"harness": "harness", **{name: folder for folder, name in RENAMED.items()}})
