"""Make torchvision importable beside the CPU build of torch (open-clip needs it).

PyPI's torchvision is built against CUDA torch: beside the pinned CPU torch its C++
extension does not load, and its Python half then dies on
``register_fake("torchvision::nms")`` with "operator torchvision::nms does not exist".
transformers imports torchvision whenever it is installed, so that failure would also
break transformers, sentence-transformers and peft everywhere.

``install()`` (called from ``helpdesk/__init__.py``, so in web, worker, commands and
tests) puts a finder in front of the import system that runs once, just before the
first ``import torchvision``: when the extension cannot be loaded it declares the two
operator schemas torchvision registers fake kernels for. Everything else in torchvision
(transforms, which open-clip uses) is plain Python; only those C++ operators would fail
when called. Nothing is imported until torchvision is.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
# The torch.library.Library that holds the schemas; it must stay alive or they are dropped again.
_library: Any = None
_state = {"extension": "not checked"}


def status() -> str:
    """'loaded' (the real extension), 'shimmed' (schemas declared), 'not checked' or an error."""
    return _state["extension"]


def prepare() -> None:
    """Declare the schemas if torchvision's extension cannot load (idempotent; imports torch)."""
    global _library
    if _state["extension"] != "not checked":
        return
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        _state["extension"] = "not installed"
        return
    # heavy: loaded on first use (torch, only when torchvision is being imported)
    import torch

    extensions = sorted(Path(spec.origin).parent.glob("_C*.so")) + sorted(Path(spec.origin).parent.glob("_C*.pyd"))
    for extension in extensions:
        try:
            torch.ops.load_library(str(extension))
        except (OSError, ImportError, RuntimeError):
            continue
        _state["extension"] = "loaded"
        return
    library = torch.library.Library("torchvision", "DEF")
    for schema in SCHEMAS:
        library.define(schema)
    _library = library
    _state["extension"] = "shimmed"


class _TorchvisionFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> None:
        if fullname == "torchvision":
            uninstall()
            prepare()
        return None  # the regular finders import it


_finder = _TorchvisionFinder()


def install() -> None:
    if "torchvision" in sys.modules or _finder in sys.meta_path:
        return
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
