"""peft LoRA training of the transformers copy of the base model: no Django in here, only tensors.

Why a small loop of our own and not ``transformers.Trainer``: progress, cancellation and the
loss on answer tokens only are a few lines each here. The language-model head (a 49k-word
vocabulary, a fifth of SmolLM2's compute) runs only on answer positions, and with ``layers`` set
only the top layers get an adapter, so backward stops there: both matter on two CPU cores.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistants.lora.dataset import Example

IGNORE = -100
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainingError(RuntimeError):
    """Training stopped; ``kind`` is one of the ``Failure`` choices."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Cancelled(Exception):
    """A manager cancelled the job."""


@dataclass(frozen=True)
class Hyperparameters:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    layers: int = 0  # adapt only the top N transformer layers (0: all of them)
    epochs: int = 3
    learning_rate: float = 3e-4
    batch_size: int = 4
    max_length: int = 384
    seed: int = 0

    LIMITS = {
        "rank": (1, 256),
        "alpha": (1, 1024),
        "dropout": (0.0, 0.5),
        "layers": (0, 512),
        "epochs": (1, 50),
        "learning_rate": (1e-6, 1e-2),
        "batch_size": (1, 64),
        "max_length": (64, 4096),
        "seed": (0, 2**31 - 1),
    }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Hyperparameters:
        """Validated hyper-parameters; raises ``ValueError`` naming every bad field."""
        data = dict(data or {})
        known = {f.name: f for f in fields(cls) if f.name != "LIMITS"}
        errors = [f"unknown hyper-parameter {name!r}" for name in data if name not in known]
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known or value in (None, ""):
                continue
            default = getattr(cls, name)
            try:
                if name == "target_modules":
                    items = value.split(",") if isinstance(value, str) else list(value)
                    modules = tuple(sorted({str(m).strip() for m in items if str(m).strip()}))
                    unknown = [m for m in modules if m not in TARGET_MODULES]
                    if not modules or unknown:
                        raise ValueError(f"choose from {', '.join(TARGET_MODULES)}")
                    values[name] = modules
                    continue
                if isinstance(value, bool):
                    raise ValueError("must be a number")
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    raise ValueError("must be a number") from None
                if math.isnan(number) or (isinstance(default, int) and number != int(number)):
                    raise ValueError("must be a whole number" if isinstance(default, int) else "must be a number")
                low, high = cls.LIMITS[name]
                if not low <= number <= high:
                    raise ValueError(f"must be between {low:g} and {high:g}")
                values[name] = int(number) if isinstance(default, int) else number
            except (TypeError, ValueError) as exc:
                errors.append(f"{name}: {exc}")
        if errors:
            raise ValueError("; ".join(errors))
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data


@dataclass
class Result:
    steps: int
    seconds: float
    seconds_per_step: float
    train_tokens: int
    truncated: int
    curve: list[list[float]] = field(default_factory=list)
    losses: dict[str, dict[str, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]


def encode(tokenizer: Any, example: Example, max_length: int) -> tuple[Encoded, bool]:
    """Chat-template tokens of one example, the prompt masked out of the loss; (encoded, was truncated)."""
    messages = [{"role": m.role, "content": m.content} for m in example.messages]
    prompt_text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    answer = tokenizer(example.answer.strip() + (tokenizer.eos_token or ""), add_special_tokens=False)["input_ids"]
    answer = answer[: max(max_length // 2, 16)]
    room = max_length - len(answer)
    truncated = len(prompt) > room
    if truncated:  # keep the start (system policy) and the end (the question), drop the middle of the context
        head = room // 2
        prompt = prompt[:head] + prompt[len(prompt) - (room - head) :]
    return Encoded(prompt + answer, [IGNORE] * len(prompt) + answer), truncated


def batches(items: Sequence[Encoded], size: int, rng: random.Random) -> list[list[Encoded]]:
    """Batches of similar lengths (less padding), in a shuffled order."""
    ordered = sorted(items, key=lambda e: len(e.input_ids))
    grouped = [list(ordered[i : i + size]) for i in range(0, len(ordered), size)]
    rng.shuffle(grouped)
    return grouped


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, Any]:
    # heavy: loaded on first use (torch, transformers and peft take seconds to import)
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, item in enumerate(batch):
        n = len(item.input_ids)
        ids[row, :n] = torch.tensor(item.input_ids)
        labels[row, :n] = torch.tensor(item.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def answer_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """Mean cross-entropy over answer tokens; the LM head runs on those positions only."""
    # heavy: loaded on first use (torch, transformers and peft take seconds to import)
    import torch.nn.functional as F

    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = causal_lm.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != IGNORE
    logits = causal_lm.lm_head(hidden[:, :-1][keep]).float()
    count = int(keep.sum())
    return F.cross_entropy(logits, targets[keep], reduction="mean"), count


def mean_loss(model: Any, encoded: Sequence[Encoded], pad_id: int, batch_size: int) -> float | None:
    # heavy: loaded on first use (torch, transformers and peft take seconds to import)
    import torch

    if not encoded:
        return None
    total, tokens = 0.0, 0
    with torch.no_grad():
        for batch in batches(encoded, batch_size, random.Random(0)):  # noqa: S311 (an order, not a secret)
            loss, count = answer_loss(model, collate(batch, pad_id))
            total += float(loss) * count
            tokens += count
    return total / tokens if tokens else None


def _oom(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, MemoryError) or "out of memory" in text or "can't allocate memory" in text


def load_base(model_dir: Path, dtype: str, device: str) -> tuple[Any, Any]:
    # heavy: loaded on first use (torch, transformers and peft take seconds to import)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
    model = model.to(device)  # type: ignore[arg-type]
    return tokenizer, model


def train(
    *,
    model_dir: Path,
    examples: Sequence[Example],
    hyperparameters: Hyperparameters,
    out_dir: Path,
    on_step: Callable[[int, int, float], bool] | None = None,
    dtype: str = "bfloat16",
    device: str = "cpu",
    threads: int | None = None,
) -> Result:
    """Train a LoRA adapter on the train split, save it to ``out_dir``, measure losses before and after.

    ``on_step(step, total, loss)`` is called after every optimiser step; returning False cancels.
    Raises ``TrainingError`` (out_of_memory, no_data) or ``Cancelled``.
    """
    # heavy: loaded on first use (torch, transformers and peft take seconds to import)
    import torch
    from peft import LoraConfig, get_peft_model

    hp = hyperparameters
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(hp.seed)
    rng = random.Random(hp.seed)  # noqa: S311
    try:
        tokenizer, model = load_base(model_dir, dtype, device)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        train_set: list[Encoded] = []
        heldout_set: list[Encoded] = []
        truncated = 0
        for example in examples:
            encoded, cut = encode(tokenizer, example, hp.max_length)
            truncated += cut
            (train_set if example.split == "train" else heldout_set).append(encoded)
        if not train_set:
            raise TrainingError("no_data", "No example is left for training after holding some out.")
        layer_count = int(model.config.num_hidden_layers)
        layers = list(range(max(layer_count - hp.layers, 0), layer_count)) if hp.layers else None
        config = LoraConfig(
            r=hp.rank,
            lora_alpha=hp.alpha,
            lora_dropout=hp.dropout,
            target_modules=list(hp.target_modules),
            layers_to_transform=layers,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, config)
        model.eval()
        losses: dict[str, dict[str, float | None]] = {
            "train_loss": {"before": mean_loss(model, train_set, pad_id, hp.batch_size)},
            "heldout_loss": {"before": mean_loss(model, heldout_set, pad_id, hp.batch_size)},
        }
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=hp.learning_rate, weight_decay=0.0)
        per_epoch = math.ceil(len(train_set) / hp.batch_size)
        total = per_epoch * hp.epochs
        warmup = max(1, total // 20)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / max(total, 1))
        )
        curve: list[list[float]] = []
        step, tokens = 0, 0
        started = time.perf_counter()
        model.train()
        for _ in range(hp.epochs):
            for batch in batches(train_set, hp.batch_size, rng):
                loss, _count = answer_loss(model, collate(batch, pad_id))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                tokens += sum(len(e.input_ids) for e in batch)
                value = float(loss)
                curve.append([step, round(value, 4)])
                if on_step is not None and on_step(step, total, value) is False:
                    raise Cancelled()
        seconds = time.perf_counter() - started
        model.eval()
        losses["train_loss"]["after"] = mean_loss(model, train_set, pad_id, hp.batch_size)
        losses["heldout_loss"]["after"] = mean_loss(model, heldout_set, pad_id, hp.batch_size)
        out_dir.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out_dir))
    except (TrainingError, Cancelled):
        raise
    except (MemoryError, RuntimeError) as exc:
        if _oom(exc):
            raise TrainingError(
                "out_of_memory",
                f"Out of memory ({exc}). Lower the batch size or the maximum length, or train on a bigger host.",
            ) from exc
        raise
    return Result(
        steps=step,
        seconds=round(seconds, 2),
        seconds_per_step=round(seconds / step, 3) if step else 0.0,
        train_tokens=tokens,
        truncated=truncated,
        curve=curve,
        losses=losses,
    )
