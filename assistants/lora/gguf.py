"""The llama.cpp copy of an adapter: llama.cpp's own converter from a peft adapter to a GGUF LoRA.

``convert_lora_to_gguf.py`` (with its ``conversion`` package and ``gguf-py``) ships in the source
distribution of llama-cpp-python, under ``vendor/llama.cpp/``. It is not committed here: ``make
lora-tools`` (``python -m assistants.lora.gguf fetch``) downloads that sdist with pip from the
package registry and extracts those files into ``LORA_CONVERTER_DIR`` (``var/llama.cpp``).
The sdist is pinned by its sha256: pip refuses any other file before it unpacks or builds it.
The converter runs in a subprocess: it imports torch and transformers and keeps them out of
the training worker's own memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"
# llama_cpp_python-0.3.36.tar.gz (76,589,250 bytes), as PyPI lists it; its converter runs in our workers.
SDIST_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
_MEMBERS = ("convert_lora_to_gguf.py", "convert_hf_to_gguf.py", "conversion/", "gguf-py/")
GGUF_NAME = "adapter.gguf"
TIMEOUT_SECONDS = 900


class ConversionError(RuntimeError):
    """The adapter could not be converted; the message says why (and how to fix it)."""


class FetchError(RuntimeError):
    """The converter could not be downloaded, or what came is not the pinned file; the message says which."""


def converter(directory: Path) -> Path:
    script = directory / "convert_lora_to_gguf.py"
    if not script.exists():
        raise ConversionError(f"the llama.cpp converter is not installed in {directory}: run `make lora-tools`")
    return script


def convert(*, adapter_dir: Path, base_dir: Path, tools_dir: Path, outtype: str = "f16") -> Path:
    """Write ``adapter_dir/adapter.gguf`` from the peft files in ``adapter_dir``; returns its path."""
    script = converter(tools_dir)
    if not (base_dir / "config.json").exists():
        raise ConversionError(f"the base model's config is missing in {base_dir}")
    target = adapter_dir / GGUF_NAME
    partial = adapter_dir / (GGUF_NAME + ".partial")
    command = [sys.executable, str(script), "--base", str(base_dir), "--outtype", outtype]
    command += ["--outfile", str(partial), str(adapter_dir)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(tools_dir / "gguf-py")}
    try:
        done = subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ConversionError(f"the converter took longer than {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0 or not partial.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ConversionError(f"convert_lora_to_gguf.py failed ({done.returncode}): {' | '.join(tail)}")
    partial.replace(target)
    return target


def fetch(directory: Path) -> Path:
    """Download the llama-cpp-python sdist with pip and extract the converter into ``directory``."""
    if (directory / "convert_lora_to_gguf.py").exists():
        return directory
    with tempfile.TemporaryDirectory() as downloads, tempfile.TemporaryDirectory() as scratch:
        _download(Path(downloads), Path(scratch) / "requirements.txt")
        archive = next(Path(downloads).glob("llama_cpp_python-*.tar.gz"))
        staging = directory.with_name(directory.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                parts = member.name.split("/", 3)  # llama_cpp_python-X/vendor/llama.cpp/<rest>
                if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"]:
                    continue
                rest = parts[3]
                if not any(rest == m or (m.endswith("/") and rest.startswith(m)) for m in _MEMBERS):
                    continue
                if not (member.isfile() or member.isdir()):
                    continue  # no links or devices from an archive
                member.name = rest
                tar.extract(member, staging, filter="data")
        shutil.rmtree(directory, ignore_errors=True)
        staging.rename(directory)
    return directory


PIP_DOWNLOAD = (
    sys.executable,
    "-m",
    "pip",
    "download",
    "--quiet",
    "--no-deps",
    "--no-binary",
    ":all:",
    "--require-hashes",
)


def _download(downloads: Path, requirements: Path) -> None:
    """The sdist into ``downloads``, through pip in hash-checking mode (a requirements file with ``--hash``)."""
    requirements.write_text(f"{LLAMA_CPP_PYTHON} --hash=sha256:{SDIST_SHA256}\n")
    done = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [*PIP_DOWNLOAD, "-r", str(requirements), "-d", str(downloads)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return
    said = " | ".join(line.strip() for line in done.stderr.strip().splitlines()[-4:] if line.strip())
    if "DO NOT MATCH THE HASHES" in done.stderr:
        raise FetchError(
            f"the {LLAMA_CPP_PYTHON} source archive the package index sent is not the pinned one "
            f"(sha256 {SDIST_SHA256}); refusing it, nothing was installed. pip: {said}"
        )
    raise FetchError(f"pip could not download {LLAMA_CPP_PYTHON} ({done.returncode}): {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["fetch"])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    try:
        print(f"llama.cpp LoRA converter in {fetch(args.directory)}")
    except FetchError as exc:
        raise SystemExit(f"make lora-tools: {exc}") from exc


if __name__ == "__main__":
    main()
