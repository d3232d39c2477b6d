"""The llama.cpp copy of an adapter: llama.cpp's own converter from a peft adapter to a GGUF LoRA.

``convert_lora_to_gguf.py`` (with its ``conversion`` package and ``gguf-py``) ships in the source
distribution of llama-cpp-python, under ``vendor/llama.cpp/``. It is not committed here: ``make
lora-tools`` (``python -m assistants.lora.gguf fetch``) downloads that sdist with pip from the
package registry and extracts those files into ``LORA_CONVERTER_DIR`` (``var/llama.cpp``).
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
_MEMBERS = ("convert_lora_to_gguf.py", "convert_hf_to_gguf.py", "conversion/", "gguf-py/")
_SDIST = (LLAMA_CPP_PYTHON, "-d")
GGUF_NAME = "adapter.gguf"
TIMEOUT_SECONDS = 900


class ConversionError(RuntimeError):
    """The adapter could not be converted; the message says why (and how to fix it)."""


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
    with tempfile.TemporaryDirectory() as downloads:
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                LLAMA_CPP_PYTHON,
                "-d",
                downloads,
            ],
            check=True,
        )
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["fetch"])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    print(f"llama.cpp LoRA converter in {fetch(args.directory)}")


if __name__ == "__main__":
    main()
