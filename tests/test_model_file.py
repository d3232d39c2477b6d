"""The multilingual model file is trusted for its bytes only: a short, changed or corrupted file is refused."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.management import call_command

from helpdesk.ai import GenerationParams, GenerationRequest, Message, ProviderError, generate
from helpdesk.ai.chat_models import QWEN
from helpdesk.ai.modelfile import QWEN_GGUF, FileSpec, ModelFileError, verify

QUESTIONS = {"en": "How long is the warranty?", "ru": "Какой срок гарантии?"}


def small_spec(content: bytes) -> FileSpec:
    return FileSpec(name="test model", size=len(content), sha256=hashlib.sha256(content).hexdigest())


def test_a_short_file_is_refused_by_its_size(tmp_path):
    short = tmp_path / "qwen.gguf"
    short.write_bytes(b"GGUF" + b"\0" * 1000)
    with pytest.raises(ModelFileError, match=r"has 1,004 bytes, the published file 1,117,320,768; refusing it"):
        verify(short, QWEN_GGUF)


def test_a_file_of_the_right_size_with_other_bytes_is_refused_by_its_sha256(tmp_path):
    good = b"the published model " * 50
    path = tmp_path / "model.gguf"
    path.write_bytes(good)
    verify(path, small_spec(good))  # the right bytes pass, and leave a stamp beside them
    assert (tmp_path / "model.gguf.verified").exists()
    corrupted = bytearray(good)
    corrupted[100] ^= 0xFF
    path.write_bytes(bytes(corrupted))
    os.utime(path, ns=(1, 1))  # a changed file no longer matches its stamp, whatever its size
    with pytest.raises(ModelFileError, match=r"has sha256 .* refusing it"):
        verify(path, small_spec(good))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_llamacpp_refuses_to_load_a_wrong_model_file_and_check_says_why(settings, tmp_path, capsys, language):
    short = tmp_path / "qwen.gguf"
    short.write_bytes(b"GGUF" + b"\1" * 4096)
    settings.LLM_QWEN_GGUF = short
    request = GenerationRequest(
        messages=[Message("user", QUESTIONS[language])], params=GenerationParams(max_new_tokens=4), model=QWEN.key
    )
    with pytest.raises(ProviderError, match="refusing it"):
        generate(request, "llamacpp", fallback=False)
    answered = generate(request, "llamacpp")  # with the fallback, the extractive answer says why
    assert answered.fallback_from == "llamacpp" and "refusing it" in (answered.error or "")
    call_command("check")
    assert "helpdesk.W040" in capsys.readouterr().err
