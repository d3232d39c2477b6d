"""The adapters API: train (202 with the job), list, read progress and metrics, activate, cancel, roll back.

Mounted under ``/api/v1/assistants/{id}/adapters``. API keys act for the whole tenant; signed-in
users need the ``lora`` permissions of their role. Another tenant's assistant or adapter is a 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assistants import selectors as assistant_selectors
from assistants.lora import selectors, services
from assistants.lora.models import Adapter, Phase
from assistants.lora.sources import registry
from helpdesk.accounts.authentication import ApiClient

MAX_INLINE_PAIRS = 20000


class AdapterPermission(permissions.IsAuthenticated):
    """Authentication here; the role permission is checked after the assistant lookup (outsiders get 404)."""


REQUIRED = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "DELETE": "delete"}


def _assistant(view: APIView, request: Request, pk: int) -> Any:
    assistant = assistant_selectors.assistant_get(pk)
    if not isinstance(request.user, ApiClient):
        action = getattr(view, "permission_action", None) or REQUIRED.get(request.method or "", "change")
        if not request.user.has_perm(f"lora.{action}_adapter"):
            raise PermissionDenied(f"Your role cannot {action} adapters.")
    return assistant


class AdapterSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="label", read_only=True)
    progress = serializers.IntegerField(source="progress_percent", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    eta_seconds = serializers.SerializerMethodField()
    heldout_loss_drop = serializers.SerializerMethodField()

    class Meta:
        model = Adapter
        fields = [
            "id", "version", "number", "status", "active", "progress", "step", "total_steps", "loss",
            "seconds_per_step", "eta_seconds", "phase", "eval_done", "eval_total", "sources", "hyperparameters",
            "data", "metrics",
            "heldout_loss_drop", "error_kind", "error", "size_bytes", "gguf_size_bytes", "gguf_error",
            "ollama_model", "publishing", "publishing_error", "created_at", "started_at", "finished_at",
            "activated_at", "loss_curve",
        ]  # fmt: skip
        read_only_fields = fields

    def get_eta_seconds(self, adapter: Adapter) -> float | None:
        return eta_seconds(adapter)

    def get_heldout_loss_drop(self, adapter: Adapter) -> float | None:
        drop = services.heldout_drop(adapter)
        return round(drop, 4) if drop is not None else None

    def to_representation(self, instance: Adapter) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["sources"] = [{k: v for k, v in s.items() if k != "path"} for s in instance.sources]  # no server paths
        return data


def eta_seconds(adapter: Adapter) -> float | None:
    """Seconds left of the current phase: training steps, or held-out answers (by the time each one took)."""
    if not adapter.in_progress:
        return None
    if adapter.phase == Phase.EVALUATING:
        if not adapter.eval_done or not adapter.eval_started_at:
            return None
        per_answer = (timezone.now() - adapter.eval_started_at).total_seconds() / adapter.eval_done
        return round(per_answer * max(adapter.eval_total - adapter.eval_done, 0), 1)
    if adapter.phase == Phase.CONVERTING or not adapter.seconds_per_step or not adapter.total_steps:
        return None
    return round(adapter.seconds_per_step * max(adapter.total_steps - adapter.step, 0), 1)


class PairSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=4000)
    answer = serializers.CharField(max_length=4000)


class TrainInput(serializers.Serializer):
    sources = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    dataset_version = serializers.IntegerField(required=False, min_value=1)
    pairs = serializers.ListField(child=PairSerializer(), required=False, max_length=MAX_INLINE_PAIRS)
    hyperparameters = serializers.DictField(required=False, default=dict)
    activate = serializers.BooleanField(required=False, default=True)
    upload = serializers.FileField(required=False)


class ActivateInput(serializers.Serializer):
    override = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


def _errors(exc: ValidationError) -> Response:
    body: dict[str, Any] = dict(exc.message_dict) if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _multipart_fields(request: Request) -> dict[str, Any]:
    """Form fields of a multipart POST: lists and objects may come as JSON strings."""
    data: dict[str, Any] = {}
    for key in request.data:
        values = request.data.getlist(key) if hasattr(request.data, "getlist") else [request.data[key]]
        if key in ("hyperparameters", "pairs"):
            try:
                data[key] = json.loads(values[0]) if isinstance(values[0], str) else values[0]
            except ValueError:
                data[key] = values[0]
        elif key == "sources":
            data[key] = [s for v in values for s in str(v).split(",") if s.strip()]
        else:
            data[key] = values[0]
    return data


class AdapterListCreate(APIView):
    permission_classes = [AdapterPermission]

    @extend_schema(responses=AdapterSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """The assistant's adapter versions, newest first, with status, progress and metrics."""
        assistant = _assistant(self, request, pk)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.adapter_list(assistant=assistant), request, view=self)
        return paginator.get_paginated_response(AdapterSerializer(page, many=True).data)

    @extend_schema(
        request=TrainInput,
        responses={202: AdapterSerializer, 400: OpenApiResponse(description="Bad sources, pairs or settings")},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Queue training: built-in `sources`, a `dataset_version`, uploaded or inline `pairs`, `hyperparameters`."""
        assistant = _assistant(self, request, pk)
        raw = request.data if not hasattr(request.data, "getlist") else _multipart_fields(request)
        data = TrainInput(data=raw)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            sources = services.clean_sources(values["sources"])
            if "dataset_version" in values:
                if "dataset" not in registry():
                    raise ValidationError({"dataset_version": "The datasets app is not installed here."})
                sources.append({"kind": "dataset", "version": values["dataset_version"]})
            upload = values.get("upload")
            if upload is None and values.get("pairs"):
                lines = "\n".join(json.dumps(dict(p), ensure_ascii=False) for p in values["pairs"])
                upload = SimpleUploadedFile("pairs.jsonl", lines.encode(), content_type="application/jsonl")
            adapter = services.adapter_request(
                assistant=assistant,
                sources=sources,
                hyperparameters=values["hyperparameters"],
                upload=upload,
                activate=values["activate"],
                by=_user(request),
            )
        except ValidationError as exc:
            return _errors(exc)
        return Response(AdapterSerializer(adapter).data, status=status.HTTP_202_ACCEPTED)


def _user(request: Request) -> Any:
    return None if isinstance(request.user, ApiClient) else request.user


class AdapterDetail(APIView):
    permission_classes = [AdapterPermission]

    @extend_schema(responses=AdapterSerializer)
    def get(self, request: Request, pk: int, adapter_id: int) -> Response:
        """One version: status, step / total, loss, ETA, the loss curve, metrics before and after."""
        assistant = _assistant(self, request, pk)
        return Response(AdapterSerializer(selectors.adapter_get(assistant=assistant, pk=adapter_id)).data)

    @extend_schema(responses={204: None, 400: OpenApiResponse(description="Still training")})
    def delete(self, request: Request, pk: int, adapter_id: int) -> Response:
        """Delete a version and its files (the assistant falls back to the base model if it was active)."""
        assistant = _assistant(self, request, pk)
        try:
            services.adapter_delete(
                adapter=selectors.adapter_get(assistant=assistant, pk=adapter_id), by=_user(request)
            )
        except ValidationError as exc:
            return _errors(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdapterActivate(APIView):
    permission_classes = [AdapterPermission]
    permission_action = "change"

    @extend_schema(request=ActivateInput, responses={200: AdapterSerializer, 400: OpenApiResponse()})
    def post(self, request: Request, pk: int, adapter_id: int) -> Response:
        """Answer with this version from now on; below the quality gate only with `override` (recorded)."""
        assistant = _assistant(self, request, pk)
        adapter = selectors.adapter_get(assistant=assistant, pk=adapter_id)
        data = ActivateInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.adapter_activate(adapter=adapter, by=_user(request), **data.validated_data)
        except ValidationError as exc:
            return _errors(exc)
        return Response(AdapterSerializer(adapter).data)


class AdapterCancel(APIView):
    permission_classes = [AdapterPermission]
    permission_action = "change"

    @extend_schema(request=None, responses={200: AdapterSerializer, 400: OpenApiResponse()})
    def post(self, request: Request, pk: int, adapter_id: int) -> Response:
        """Cancel a queued job, or ask a running one to stop after its current step."""
        assistant = _assistant(self, request, pk)
        adapter = selectors.adapter_get(assistant=assistant, pk=adapter_id)
        try:
            adapter = services.adapter_cancel(adapter=adapter, by=_user(request))
        except ValidationError as exc:
            return _errors(exc)
        return Response(AdapterSerializer(adapter).data)


class AdapterPublish(APIView):
    permission_classes = [AdapterPermission]
    permission_action = "change"

    @extend_schema(request=None, responses={202: AdapterSerializer, 400: OpenApiResponse()})
    def post(self, request: Request, pk: int, adapter_id: int) -> Response:
        """Queue creating the Ollama model `FROM LORA_OLLAMA_BASE` + this adapter on OLLAMA_HOST.

        A worker uploads the adapter and creates the model; `publishing` (queued, running, done,
        failed) and `publishing_error` on the adapter say how it went, `ollama_model` names the model.
        """
        assistant = _assistant(self, request, pk)
        adapter = selectors.adapter_get(assistant=assistant, pk=adapter_id)
        try:
            services.adapter_publish(adapter=adapter, by=_user(request))
        except ValidationError as exc:
            return _errors(exc)
        return Response(AdapterSerializer(adapter).data, status=status.HTTP_202_ACCEPTED)


class AdapterRollback(APIView):
    permission_classes = [AdapterPermission]
    permission_action = "change"

    @extend_schema(request=None, responses={200: OpenApiResponse(description="{active: version or null}")})
    def post(self, request: Request, pk: int) -> Response:
        """Go back to the previously active version (or the base model when there was none)."""
        assistant = _assistant(self, request, pk)
        try:
            previous = services.adapter_rollback(assistant=assistant, by=_user(request))
        except ValidationError as exc:
            return _errors(exc)
        return Response({"active": AdapterSerializer(previous).data if previous else None})


@extend_schema(exclude=True)
class AdapterListCreateSlash(AdapterListCreate):
    """``…/adapters/`` as the issue spells it: the same endpoint, documented once (without the slash)."""
