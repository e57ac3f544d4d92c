"""LocalStack from PyPI in its own Python 3.13 virtualenv under the harness cache, with the files its
DynamoDB would download at first use already in place, so it starts with no Docker and no network.

Everything is built once per version and shared by parallel test workers (a file lock guards it):
``~/.cache/streamharness/localstack/<version>/venv`` (the runtime) and ``.../lib`` (what LocalStack
calls its ``var_libs``: a link to the system Java home as its Java 21, DynamoDB Local copied from the
npm package the embedded backend caches, and the Java agent LocalStack passes to it, built here).
"""
from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from harness.backends import dynamodb_local
from harness.backends.base import BackendUnavailable

VERSION = "2026.3.0"
#: the runtime extra brings the AWS providers; the pins keep versions its code was released against
#: (cbor2 6 and pyOpenSSL/service-identity 26 broke it at the time of the pin)
REQUIREMENTS = (f"localstack-core[runtime]=={VERSION}", "cbor2<6", "pyopenssl==25.3.0", "service-identity<26")
PYTHON_MINOR = (3, 13)  # LocalStack 2026.3 fails on 3.11 and 3.12
JAVA_VERSION_DIR = "21"  # where LocalStack looks for its Java; DynamoDB Local runs on any 17+
AGENT_SOURCE = Path(__file__).with_name("DdbLocalLoader.java")
AGENT_JAR = "ddb-local-loader-0.1.jar"  # the name LocalStack passes to -javaagent
INSTALL_TIMEOUT_S = 1800


class LocalStackUnavailable(BackendUnavailable):
    """LocalStack cannot be installed or reached here; the message says what is missing."""


def home(version: str = VERSION) -> Path:
    return dynamodb_local.cache_root() / "localstack" / version


def find_python() -> str:
    """A Python 3.13: $STREAMHARNESS_LOCALSTACK_PYTHON, python3.13 on PATH, pyenv's, or this one."""
    candidates = [os.environ.get("STREAMHARNESS_LOCALSTACK_PYTHON"), shutil.which("python3.13")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.13*", "bin", "python")), reverse=True)
    if sys.version_info[:2] == PYTHON_MINOR:
        candidates.append(sys.executable)
    for c in candidates:
        if c and os.access(c, os.X_OK) and _is_python_313(c):  # pyenv's shims exist even where 3.13 is not set
            return c
    raise LocalStackUnavailable(
        "LocalStack needs Python 3.13 (it fails on 3.11/3.12): install it (e.g. `pyenv install 3.13`) or set "
        "STREAMHARNESS_LOCALSTACK_PYTHON to its interpreter")


def _is_python_313(python: str) -> bool:
    try:
        out = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
                             capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.strip() == "True"


def ensure_installed(version: str = VERSION) -> tuple[Path, Path]:
    """The virtualenv's python and the prepared lib directory, built on first use (minutes, once)."""
    root = home(version)
    python, lib = root / "venv" / "bin" / "python", root / "lib"
    if _stamp_ok(root):
        return python, lib
    root.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing the same version
        if not _stamp_ok(root):
            t0 = time.monotonic()
            _install_venv(root / "venv")
            _prepare_lib(lib)
            (root / "installed.json").write_text(json.dumps(
                {"requirements": list(REQUIREMENTS), "agent": _agent_digest(), "install_s": time.monotonic() - t0}))
    return python, lib


def _agent_digest() -> str:
    return hashlib.sha256(AGENT_SOURCE.read_bytes()).hexdigest()[:12]


def _stamp_ok(root: Path) -> bool:
    try:
        stamp = json.loads((root / "installed.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp.get("requirements") == list(REQUIREMENTS) and stamp.get("agent") == _agent_digest()
                and (root / "venv" / "bin" / "python").exists())


def _install_venv(venv: Path) -> None:
    if venv.exists():
        shutil.rmtree(venv)  # a half-made one from an interrupted install
    python = find_python()
    print(f"streamharness: installing LocalStack {VERSION} into {venv} (once; a few minutes) ...",
          file=sys.stderr, flush=True)
    steps = [[python, "-m", "venv", str(venv)],
             [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              *REQUIREMENTS]]
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise LocalStackUnavailable(f"{' '.join(argv[:4])} ... failed (exit {done.returncode}):\n"
                                        f"{(done.stderr or done.stdout).strip()[-1500:]}")


def java_home() -> Path:
    java = Path(dynamodb_local.find_java()).resolve()  # raises DynamoDBLocalUnavailable without Java 17+
    return java.parent.parent


def _prepare_lib(lib: Path) -> None:
    """Java, DynamoDB Local and its agent where LocalStack's package installers look, so none downloads."""
    try:
        jdk, jar_dir = java_home(), dynamodb_local.install_dir()
    except dynamodb_local.DynamoDBLocalUnavailable as e:
        raise LocalStackUnavailable(f"LocalStack's DynamoDB needs DynamoDB Local: {e}") from None
    javac = shutil.which("javac") or str(jdk / "bin" / "javac")
    if not os.access(javac, os.X_OK):
        raise LocalStackUnavailable(f"no javac (a JDK) to build the DynamoDB Local agent; {jdk} is a JRE")
    if lib.exists():
        shutil.rmtree(lib)
    (lib / "java").mkdir(parents=True)
    (lib / "java" / JAVA_VERSION_DIR).symlink_to(jdk, target_is_directory=True)
    ddb = lib / "dynamodb-local" / "2"
    shutil.copytree(jar_dir, ddb, symlinks=True)
    _build_agent(javac, ddb)


def _build_agent(javac: str, ddb: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        classpath = os.pathsep.join([str(ddb / "DynamoDBLocal.jar"), str(ddb / "DynamoDBLocal_lib" / "*")])
        done = subprocess.run([javac, "-nowarn", "-d", tmp, "-cp", classpath, str(AGENT_SOURCE)],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise LocalStackUnavailable(f"javac {AGENT_SOURCE.name} failed: {done.stderr.strip()[-800:]}")
        with zipfile.ZipFile(ddb / AGENT_JAR, "w") as jar:
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nPremain-Class: DdbLocalLoader\n\n")
            for cls in Path(tmp).glob("*.class"):
                jar.write(cls, cls.name)
