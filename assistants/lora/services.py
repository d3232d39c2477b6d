"""Writes on adapters: request training, train (on the worker), cancel, activate, roll back, delete, publish.

Keyword-only arguments; everything runs in the current tenant's schema. The training job is
``adapter_train``, called by the Celery task with an id; it claims its row with a conditional
update, so a cancelled or duplicated task does nothing.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import shutil
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assistants.lora import dataset, evaluation, gguf, training
from assistants.lora.gguf import ConversionError
from assistants.lora.models import IN_FLIGHT, Adapter, Event, Failure, Phase, Publishing, Status
from assistants.lora.ollama import PublishError, publish
from assistants.lora.selectors import active_adapter, adapter_dir, adapter_in_flight, base_mismatch
from assistants.lora.sources import registry
from assistants.lora.sources.upload import UploadError, parse_upload
from assistants.lora.training import Cancelled, Hyperparameters, TrainingError
from assistants.models import Assistant
from helpdesk.accounts.models import User
from helpdesk.ai.examples import collection as dataset_collection
from helpdesk.ai.providers.transformers import convert_gguf, resolve_model
from helpdesk.celery import job_estimate, send_on_commit, stopped_reason, time_limit_for
from helpdesk.stored_text import Duration, stored_text
from helpdesk.tenants.db import connection

logger = logging.getLogger(__name__)
CURVE_POINTS = 400  # the stored loss curve keeps at most this many points


def heldout_drop(adapter: Adapter) -> float | None:
    """Relative drop of the held-out loss (0.3 = 30 % lower after training), or None if unknown."""
    losses = (adapter.metrics or {}).get("heldout_loss") or {}
    before, after = losses.get("before"), losses.get("after")
    if not before or after is None:
        return None
    return (before - after) / before


def passes_gate(adapter: Adapter) -> bool:
    drop = heldout_drop(adapter)
    return drop is not None and drop >= settings.LORA_MIN_HELDOUT_DROP


# --- Requesting a training job ------------------------------------------------------------------


def clean_sources(kinds: Sequence[str]) -> list[dict[str, Any]]:
    known = registry()
    unknown = [k for k in kinds if k not in known or k in ("upload", "dataset")]
    if unknown:
        choices = ", ".join(k for k in known if k not in ("upload", "dataset"))
        raise ValidationError(
            {
                "sources": _("Unknown source(s) %(unknown)s; choose from %(choices)s.")
                % {"unknown": ", ".join(unknown), "choices": choices}
            }
        )
    return [{"kind": kind} for kind in dict.fromkeys(kinds)]


def check_dataset_versions(sources: Sequence[dict[str, Any]]) -> None:
    """A dataset version of another tenant (or none) is a 404, like any object of another tenant."""
    for spec in sources:
        if spec.get("kind") == "dataset":
            collection = dataset_collection()
            try:
                if collection is None:
                    raise LookupError("No app offers dataset versions here.")
                collection.describe(int(spec.get("version") or 0))
            except LookupError:
                raise Http404("No such dataset version.") from None


def clean_hyperparameters(data: dict[str, Any] | None) -> Hyperparameters:
    try:
        return Hyperparameters.from_dict(data)
    except ValueError as exc:
        raise ValidationError({"hyperparameters": str(exc)}) from None


def preview(
    *,
    assistant: Assistant,
    sources: Sequence[dict[str, Any]],
    upload: UploadedFile | None = None,
    hyperparameters: dict[str, Any] | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """What training would use: counts per source, duplicates, split sizes, the first examples, bad rows,
    and how long it should take (with a warning when that passes the training queue's time limit)."""
    hp = clean_hyperparameters(hyperparameters)
    extra, rejected = [], []
    if upload is not None:
        try:
            parsed = parse_upload(upload.name or "upload", upload.read())
        except UploadError as exc:
            raise ValidationError({"upload": str(exc)}) from None
        extra, rejected = parsed.pairs, parsed.rejected
    try:
        examples, summary = dataset.build(assistant, sources, extra=extra, retrieve=False)
    except dataset.NoData as exc:
        raise ValidationError({"sources": str(exc)}) from None
    summary.rejected_rows = rejected
    return {
        "summary": summary.as_dict(),
        "examples": examples[:limit],
        "estimate": estimate(assistant=assistant, train_pairs=summary.train, hyperparameters=hp),
    }


@transaction.atomic
def adapter_request(
    *,
    assistant: Assistant,
    sources: Sequence[dict[str, Any]],
    hyperparameters: dict[str, Any] | None = None,
    upload: UploadedFile | None = None,
    activate: bool = True,
    by: User | None = None,
) -> Adapter:
    """Queue a training job for ``assistant``; at most one job per tenant is queued or running."""
    hp = clean_hyperparameters(hyperparameters)
    chosen = list(sources)
    check_dataset_versions(chosen)
    if not chosen and upload is None:
        raise ValidationError({"sources": _("Pick at least one source of training data or upload a file.")})
    parsed = None
    if upload is not None:
        try:
            parsed = parse_upload(upload.name or "upload", upload.read())
        except UploadError as exc:
            raise ValidationError({"upload": str(exc)}) from None
    running = adapter_in_flight()
    if running is not None:
        raise ValidationError(_busy(running))
    Assistant.objects.select_for_update().filter(pk=assistant.pk).first()  # numbers stay unique under races
    number = (Adapter.objects.filter(assistant=assistant).aggregate(n=Max("number"))["n"] or 0) + 1
    adapter = Adapter(
        assistant=assistant,
        number=number,
        sources=chosen,
        hyperparameters={**hp.as_dict(), "activate": activate},
        created_by=by,
    )
    try:
        with transaction.atomic():
            adapter.save()
    except IntegrityError:
        raise ValidationError(_busy(adapter_in_flight())) from None
    if upload is not None and parsed is not None:
        folder = adapter_dir(adapter)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = Path(upload.name or "upload.jsonl").suffix.lower()
        upload.seek(0)
        with open(folder / f"upload{suffix}", "wb") as handle:
            for part in upload.chunks():
                handle.write(part)
        adapter.sources = [
            *chosen,
            {"kind": "upload", "path": f"{adapter.relative_dir}/upload{suffix}", "name": upload.name or "upload"},
        ]
        adapter.data = {"rejected_rows": [[n, why] for n, why in parsed.rejected[:50]]}
        adapter.save(update_fields=["sources", "data"])
    Event.objects.create(adapter=adapter, action=Event.Action.CREATED, by=by)
    _enqueue(adapter)
    return adapter


def _enqueue(adapter: Adapter) -> None:
    """Send the training job after the commit; ``queued_at`` says the broker took it (the sweeper relies on it)."""
    pk = adapter.pk
    send_on_commit(
        "assistants.lora.tasks.adapter_train",
        pk,
        on_sent=lambda: Adapter.objects.filter(pk=pk).update(queued_at=timezone.now()),
    )


TRAIN_TASK = "assistants.lora.tasks.adapter_train"


def estimate(*, assistant: Assistant, train_pairs: int, hyperparameters: Hyperparameters) -> dict[str, Any]:
    """How long training should take (steps x seconds per step), and a warning when that passes the time limit.

    Seconds per step: as measured by this workspace's latest finished training, else LORA_SECONDS_PER_STEP.
    """
    steps = math.ceil(train_pairs / hyperparameters.batch_size) * hyperparameters.epochs
    measured = (
        Adapter.objects.filter(status=Status.READY, seconds_per_step__isnull=False)
        .order_by("-finished_at")
        .values_list("seconds_per_step", flat=True)
        .first()
    )
    per_step = float(measured or settings.LORA_SECONDS_PER_STEP)
    return {
        "steps": steps,
        "seconds_per_step": per_step,
        **job_estimate(
            TRAIN_TASK,
            steps * per_step,
            lambda duration, limit: (
                _(
                    "%(pairs)s pairs x %(epochs)s epochs is about %(steps)s steps of %(per_step)s s: %(duration)s, "
                    "longer than the training queue's limit of %(limit)s; the job would be stopped. Use fewer pairs "
                    "or epochs, or raise CELERY_QUEUE_TIME_LIMITS."
                )
                % {
                    "pairs": f"{train_pairs:,}",
                    "epochs": hyperparameters.epochs,
                    "steps": f"{steps:,}",
                    "per_step": f"{per_step:.2f}",
                    "duration": duration,
                    "limit": limit,
                }
            ),
        ),
    }


def jobs_sweep() -> dict[str, list[int]]:
    """Send again a job that waits without a message (or with a lost one), and stop a running job whose worker
    went silent for LORA_STALE_SECONDS or whose time limit passed, which frees the workspace's training slot."""
    now = timezone.now()
    swept: dict[str, list[int]] = {"requeued": [], "stopped": []}
    requeue_before = now - timedelta(seconds=settings.JOBS_REQUEUE_AFTER_SECONDS)
    waiting = Adapter.objects.filter(status=Status.QUEUED).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before)
    )
    for adapter in waiting:
        _enqueue(adapter)
        swept["requeued"].append(adapter.pk)
    stale_before = now - timedelta(seconds=settings.LORA_STALE_SECONDS)
    limit = time_limit_for(TRAIN_TASK)
    for adapter in Adapter.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale_before):
        if limit and adapter.started_at is not None and (now - adapter.started_at).total_seconds() >= limit:
            kind, reason = Failure.TIMED_OUT, stopped_reason(TRAIN_TASK)
        else:
            kind, reason = (
                Failure.WORKER_LOST,
                stored_text(
                    gettext_noop("Stopped: the training worker went silent for more than %(silent)s."),
                    silent=Duration(settings.LORA_STALE_SECONDS),
                ),
            )
        stopped = Adapter.objects.filter(
            pk=adapter.pk, status=Status.RUNNING, heartbeat_at=adapter.heartbeat_at
        ).update(status=Status.FAILED, in_flight=False, finished_at=now, error_kind=kind, error=reason)
        if stopped:
            logger.warning("adapter %s stopped by the sweeper: %s", adapter.pk, reason)
            swept["stopped"].append(adapter.pk)
    return swept


def _busy(running: Adapter | None) -> str:
    if running is None:
        return _("Another training job of this workspace started a moment ago; try again when it is done.")
    return _(
        "A training job is already %(status)s in this workspace (%(assistant)s %(adapter)s); one job runs at a time. "
        "Wait for it or cancel it."
    ) % {
        "status": str(running.get_status_display()).lower(),
        "assistant": running.assistant.name,
        "adapter": running.label,
    }


# --- The training job (on the `training` worker) ------------------------------------------------


def _claim(adapter_id: int) -> Adapter | None:
    now = timezone.now()
    claimed = Adapter.objects.filter(pk=adapter_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, phase=Phase.PREPARING
    )
    return Adapter.objects.select_related("assistant").get(pk=adapter_id) if claimed else None


def _finish(adapter: Adapter, status: str, **fields: Any) -> None:
    fields.update(status=status, in_flight=False, finished_at=timezone.now())
    for name, value in fields.items():
        setattr(adapter, name, value)
    adapter.save(update_fields=list(fields))


def _fail(adapter: Adapter, kind: str, message: str) -> None:
    logger.warning("adapter %s failed (%s): %s", adapter.pk, kind, message)
    _finish(adapter, Status.FAILED, error_kind=kind, error=message[:4000])


class _Progress:
    """Writes step, loss, curve and heartbeat as training goes; tells the loop when to stop."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.started = timezone.now()

    def __call__(self, step: int, total: int, loss: float) -> bool:
        adapter = self.adapter
        curve = [*adapter.loss_curve, [step, round(loss, 4)]]
        if len(curve) > CURVE_POINTS:  # keep every other point of the older half
            half = len(curve) // 2
            curve = curve[:half:2] + curve[half:]
        now = timezone.now()
        elapsed = (now - self.started).total_seconds()
        adapter.step, adapter.total_steps, adapter.loss, adapter.loss_curve = step, total, loss, curve
        adapter.seconds_per_step = round(elapsed / step, 3) if step else None
        adapter.heartbeat_at = now
        adapter.save(update_fields=["step", "total_steps", "loss", "loss_curve", "seconds_per_step", "heartbeat_at"])
        return not Adapter.objects.filter(pk=adapter.pk, cancel_requested=True).exists()


class EvaluationProgress:
    """Writes the held-out answers done so far and the heartbeat while the new adapter is evaluated."""

    def __init__(self, adapter: Adapter, total: int) -> None:
        self.adapter = adapter
        now = timezone.now()
        adapter.phase, adapter.eval_done, adapter.eval_total, adapter.eval_started_at = Phase.EVALUATING, 0, total, now
        adapter.heartbeat_at = now
        adapter.save(update_fields=["phase", "eval_done", "eval_total", "eval_started_at", "heartbeat_at"])

    def __call__(self, done: int, total: int) -> None:
        adapter = self.adapter
        adapter.eval_done, adapter.eval_total, adapter.heartbeat_at = done, total, timezone.now()
        adapter.save(update_fields=["eval_done", "eval_total", "heartbeat_at"])


def _phase(adapter: Adapter, phase: str) -> None:
    adapter.phase, adapter.heartbeat_at = phase, timezone.now()
    adapter.save(update_fields=["phase", "heartbeat_at"])


def _device() -> str:
    if settings.LORA_DEVICE != "auto":
        return str(settings.LORA_DEVICE)
    # heavy: loaded on first use (torch takes seconds to import)
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def base_model_dir(device: str = "cpu") -> Path:
    """The transformers copy of the model to train on (converted from the GGUF once, as the provider does).

    On a CPU that is SmolLM2-135M whatever LLM_MODEL says (a 1.5B model would take hours per adapter here);
    a GPU worker serving the training queue trains on LLM_MODEL.
    """
    directory, gguf = resolve_model(settings.LLM_MODEL if device != "cpu" else "", Path(settings.MODELS_DIR))
    if gguf is not None:
        convert_gguf(gguf, directory, settings.LLM_DTYPE)
    return directory


def _write_examples(folder: Path, examples: Sequence[dataset.Example]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for split_name in ("train", "heldout"):
        with open(folder / f"{split_name}.jsonl", "w", encoding="utf-8") as handle:
            for example in examples:
                if example.split == split_name:
                    handle.write(json.dumps(example.as_dict(), ensure_ascii=False) + "\n")


def _evaluation_provider(folder: Path) -> str:
    if (folder / "adapter.gguf").exists() and importlib.util.find_spec("llama_cpp") is not None:
        return "llamacpp"
    return "transformers"


def adapter_train(*, adapter_id: int) -> Adapter | None:
    """Build the data, train, convert for llama.cpp, evaluate, and activate when the gate passes."""
    adapter = _claim(adapter_id)
    if adapter is None:
        return None
    assistant = adapter.assistant
    folder = adapter_dir(adapter)
    try:
        hp = Hyperparameters.from_dict({k: v for k, v in adapter.hyperparameters.items() if k != "activate"})
        examples, summary = dataset.build(assistant, adapter.sources)
        summary.rejected_rows = [tuple(r) for r in (adapter.data or {}).get("rejected_rows", [])]
        # Known only now that the data is built; the page and the API show its warning while the job runs.
        adapter.data = {
            **summary.as_dict(),
            "estimate": estimate(assistant=assistant, train_pairs=summary.train, hyperparameters=hp),
        }
        adapter.heartbeat_at = timezone.now()
        adapter.save(update_fields=["data", "heartbeat_at"])
        _write_examples(folder / "data", examples)
        device = _device()
        model_dir = base_model_dir(device)
        adapter.base_model = model_dir.name
        adapter.heartbeat_at = timezone.now()
        adapter.save(update_fields=["base_model", "heartbeat_at"])
        _phase(adapter, Phase.TRAINING)
        result = training.train(
            model_dir=model_dir,
            examples=examples,
            hyperparameters=hp,
            out_dir=folder,
            on_step=_Progress(adapter),
            dtype=settings.LORA_DTYPE,
            device=device,
            threads=settings.LORA_THREADS or None,
        )
        metrics: dict[str, Any] = {
            **result.losses,
            "training": {
                "steps": result.steps,
                "seconds": result.seconds,
                "seconds_per_step": result.seconds_per_step,
                "tokens": result.train_tokens,
                "truncated_examples": result.truncated,
            },
        }
        adapter.size_bytes = sum(p.stat().st_size for p in folder.glob("adapter_model.*"))
        _phase(adapter, Phase.CONVERTING)
        try:
            gguf_path = gguf.convert(adapter_dir=folder, base_dir=model_dir, tools_dir=settings.LORA_CONVERTER_DIR)
            adapter.gguf_size_bytes = gguf_path.stat().st_size
        except ConversionError as exc:
            adapter.gguf_error = str(exc)
        adapter.metrics = metrics
        adapter.heartbeat_at = timezone.now()  # the held-out answers come next
        adapter.save(update_fields=["size_bytes", "gguf_size_bytes", "gguf_error", "metrics", "heartbeat_at"])
        if settings.LORA_EVAL_QUESTIONS:
            provider = _evaluation_provider(folder)
            metrics["answers"] = evaluation.compare(
                assistant=assistant,
                examples=examples,
                adapter_dir=str(folder),
                provider=provider,
                limit=settings.LORA_EVAL_QUESTIONS,
                on_answer=EvaluationProgress(
                    adapter, 2 * len(evaluation.questions(examples, settings.LORA_EVAL_QUESTIONS))
                ),
            )
        _finish(adapter, Status.READY, metrics=metrics, error="", error_kind="")
    except SoftTimeLimitExceeded:
        _fail(adapter, Failure.TIMED_OUT, stopped_reason(TRAIN_TASK))
        return adapter
    except Cancelled:
        _finish(adapter, Status.CANCELLED, error=stored_text(gettext_noop("Cancelled while training.")))
        shutil.rmtree(folder, ignore_errors=True)
        return adapter
    except dataset.NoData as exc:
        _fail(adapter, Failure.NO_DATA, str(exc))
        return adapter
    except UploadError as exc:
        _fail(adapter, Failure.BAD_ROWS, str(exc))
        return adapter
    except TrainingError as exc:
        _fail(adapter, exc.kind, str(exc))
        return adapter
    except Exception as exc:
        logger.exception("training adapter %s failed", adapter.pk)
        _fail(adapter, Failure.ERROR, f"{type(exc).__name__}: {exc}")
        return adapter
    if adapter.hyperparameters.get("activate", True):
        if mismatch := base_mismatch(adapter, assistant):
            Event.objects.create(adapter=adapter, action=Event.Action.NOT_ACTIVATED, note=mismatch)
        elif passes_gate(adapter):
            _activate(adapter, action=Event.Action.AUTO_ACTIVATED, by=None)
        else:
            Event.objects.create(adapter=adapter, action=Event.Action.NOT_ACTIVATED, note=_gate_note(adapter))
    return adapter


def _gate_note(adapter: Adapter) -> str:
    drop = heldout_drop(adapter)
    needed = f"{settings.LORA_MIN_HELDOUT_DROP:.0%}"
    if drop is None:
        return _("Held-out loss could not be measured; at least %(needed)s lower is needed.") % {"needed": needed}
    return _("Held-out loss changed by %(change)s; at least %(needed)s lower is needed.") % {
        "change": f"{-drop:+.0%}",
        "needed": needed,
    }


# --- Cancel, activate, roll back, delete ---------------------------------------------------------


@transaction.atomic
def adapter_cancel(*, adapter: Adapter, by: User | None = None) -> Adapter:
    """Cancel a queued job at once; ask a running one to stop (or mark it lost when its worker went silent)."""
    adapter = Adapter.objects.select_for_update().get(pk=adapter.pk)
    if adapter.status == Status.QUEUED:
        _finish(adapter, Status.CANCELLED, error=stored_text(gettext_noop("Cancelled before training started.")))
    elif adapter.status == Status.RUNNING:
        stale = timezone.now() - timedelta(seconds=settings.LORA_STALE_SECONDS)
        if adapter.heartbeat_at is None or adapter.heartbeat_at < stale:
            _finish(
                adapter,
                Status.FAILED,
                error_kind=Failure.WORKER_LOST,
                error=stored_text(
                    gettext_noop("The training worker stopped reporting progress; the job was marked as lost.")
                ),
            )
        else:
            adapter.cancel_requested = True
            adapter.save(update_fields=["cancel_requested"])
    else:
        raise ValidationError(
            _("%(adapter)s is %(status)s: nothing to cancel.")
            % {"adapter": adapter.label, "status": str(adapter.get_status_display()).lower()}
        )
    Event.objects.create(adapter=adapter, action=Event.Action.CANCELLED, by=by)
    return adapter


def _activate(adapter: Adapter, *, action: str, by: User | None, note: str = "") -> None:
    Assistant.objects.filter(pk=adapter.assistant_id).update(adapter=adapter.relative_dir)
    adapter.assistant.adapter = adapter.relative_dir
    adapter.activated_at = timezone.now()
    adapter.save(update_fields=["activated_at"])
    Event.objects.create(adapter=adapter, action=action, by=by, note=note)


@transaction.atomic
def adapter_activate(*, adapter: Adapter, by: User | None, override: bool = False, note: str = "") -> Adapter:
    """Make ``adapter`` the one its assistant answers with; below the quality gate only with ``override``."""
    if adapter.status != Status.READY:
        raise ValidationError(
            _("%(adapter)s is %(status)s; only a ready one can be activated.")
            % {"adapter": adapter.label, "status": str(adapter.get_status_display()).lower()}
        )
    if mismatch := base_mismatch(adapter, adapter.assistant):
        raise ValidationError(mismatch)
    if passes_gate(adapter):
        _activate(adapter, action=Event.Action.ACTIVATED, by=by, note=note)
    elif override:
        _activate(adapter, action=Event.Action.OVERRIDE, by=by, note=(note.strip() or _gate_note(adapter)))
    else:
        raise ValidationError(_("%(note)s Confirm the override to activate it anyway.") % {"note": _gate_note(adapter)})
    return adapter


@transaction.atomic
def adapter_deactivate(*, assistant: Assistant, by: User | None) -> None:
    """Answer with the base model again."""
    current = active_adapter(assistant)
    Assistant.objects.filter(pk=assistant.pk).update(adapter=None)
    assistant.adapter = None
    if current is not None:
        Event.objects.create(adapter=current, action=Event.Action.DEACTIVATED, by=by)


@transaction.atomic
def adapter_rollback(*, assistant: Assistant, by: User | None) -> Adapter | None:
    """Go back to the version that was active before the current one (or to the base model)."""
    current = active_adapter(assistant)
    if current is None:
        raise ValidationError(_("No adapter is active: the assistant already answers with the base model."))
    previous = (
        Adapter.objects.filter(assistant=assistant, status=Status.READY, activated_at__isnull=False)
        .exclude(pk=current.pk)
        .order_by("-activated_at")
        .first()
    )
    Event.objects.create(adapter=current, action=Event.Action.ROLLED_BACK, by=by)
    if previous is None:
        Assistant.objects.filter(pk=assistant.pk).update(adapter=None)
        assistant.adapter = None
        return None
    previous.assistant = assistant  # _activate updates the caller's instance too
    _activate(previous, action=Event.Action.ACTIVATED, by=by, note=f"rolled back from {current.label}")
    return previous


@transaction.atomic
def adapter_delete(*, adapter: Adapter, by: User | None = None) -> None:
    """Delete a version and its files; the assistant falls back to the base model if it was active."""
    if adapter.status in IN_FLIGHT:
        raise ValidationError(
            _("%(adapter)s is %(status)s: cancel it first.")
            % {"adapter": adapter.label, "status": str(adapter.get_status_display()).lower()}
        )
    if adapter.is_active:
        Assistant.objects.filter(pk=adapter.assistant_id).update(adapter=None)
        adapter.assistant.adapter = None
    adapter.delete()


def _ollama_name(adapter: Adapter) -> str:
    return f"helpdesk-{connection.schema_name}-{adapter.assistant_id}-v{adapter.number}".lower()


def adapter_publish(*, adapter: Adapter, by: User | None = None) -> Adapter:
    """Queue publishing to Ollama: a worker uploads the GGUF copy to OLLAMA_HOST and creates the model
    ``FROM LORA_OLLAMA_BASE`` + ``ADAPTER`` (a remote upload can take minutes; no web request waits for it).
    """
    if adapter.status != Status.READY:
        raise ValidationError(_("%(adapter)s is not ready.") % {"adapter": adapter.label})
    if not (adapter_dir(adapter) / "adapter.gguf").exists():
        raise ValidationError(_("This version has no llama.cpp (GGUF) copy to publish; see its conversion error."))
    stale = timezone.now() - timedelta(seconds=settings.LORA_STALE_SECONDS)
    pending = (Publishing.QUEUED, Publishing.RUNNING)
    if adapter.publishing in pending and adapter.publishing_requested_at and adapter.publishing_requested_at > stale:
        raise ValidationError(_("%(adapter)s is being published to Ollama already.") % {"adapter": adapter.label})
    adapter.publishing, adapter.publishing_error = Publishing.QUEUED, ""
    adapter.publishing_requested_at = timezone.now()
    adapter.save(update_fields=["publishing", "publishing_error", "publishing_requested_at"])
    # The host and base the manager was shown, so that the worker publishes where the page said.
    send_on_commit(
        "assistants.lora.tasks.adapter_publish",
        adapter.pk,
        host=settings.OLLAMA_HOST,
        base=settings.LORA_OLLAMA_BASE,
        by_id=by.pk if by else None,
    )
    return adapter


def adapter_publish_run(*, adapter_id: int, host: str, base: str, by_id: int | None = None) -> Adapter | None:
    """The worker's part of publishing; a version deleted meanwhile, or not queued any more, is skipped."""
    rows = Adapter.objects.filter(pk=adapter_id)
    if not rows.filter(publishing=Publishing.QUEUED).update(publishing=Publishing.RUNNING):
        return None
    adapter = rows.first()
    if adapter is None:
        return None
    by = User.objects.filter(pk=by_id).first() if by_id else None
    name = _ollama_name(adapter)
    try:
        publish(folder=adapter_dir(adapter), name=name, host=host, base=base)
    except PublishError as exc:
        # Updates through the queryset: a version deleted meanwhile is simply gone, not an error.
        if rows.update(publishing=Publishing.FAILED, publishing_error=str(exc)):
            Event.objects.create(adapter=adapter, action=Event.Action.PUBLISH_FAILED, by=by, note=str(exc)[:1000])
        return rows.first()
    if rows.update(ollama_model=name, published_at=timezone.now(), publishing=Publishing.DONE):
        Event.objects.create(adapter=adapter, action=Event.Action.PUBLISHED, by=by, note=name)
    return rows.first()
