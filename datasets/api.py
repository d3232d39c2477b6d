"""REST API of the datasets app (/api/v1/datasets/...): upload, process, run status, classify, versions, stats."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import classifier, jobs, selectors, services, versions
from datasets.formats import ACCEPTED, DELIMITER_NAMES, DELIMITERS, DOWNLOAD_FORMATS
from datasets.models import Dataset, Row, Run, Upload, Version
from datasets.steps.base import Mapping
from helpdesk.accounts.authentication import ApiClient
from helpdesk.stored_text import ShownTextField, shown_text

MAX_TEXT_CHARS = 5000


class DatasetsPermission(permissions.BasePermission):
    """API keys have tenant-wide access; signed-in users need their role's datasets permissions."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.user, ApiClient):
            return True
        needed = getattr(view, "permission", None) or (
            "view_dataset" if request.method in permissions.SAFE_METHODS else "add_run"
        )
        return bool(request.user and request.user.has_perm(f"datasets.{needed}"))


def _detail(exc: ValidationError) -> dict[str, str]:
    return {"detail": " ".join(exc.messages)}


class VersionSerializer(serializers.ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    author = serializers.CharField(source="author.email", default=None, read_only=True)
    current = serializers.SerializerMethodField()
    labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    classifier = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = ["id", "dataset", "tag", "message", "author", "content_hash", "train_count", "eval_count",
                  "labels", "counts", "report", "current", "classifier", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_current(self, version: Version) -> bool:
        return bool(version.dataset.current_version_id == version.pk)

    def get_classifier(self, version: Version) -> dict[str, Any] | None:
        trained = getattr(version, "classifier", None)
        if trained is None:
            return None
        metrics = {k: v for k, v in trained.metrics.items() if k != "per_label"}
        return {"status": trained.status, "error": shown_text(trained.error), "labels": trained.labels,
                "metrics": metrics, "train_rows": trained.train_rows, "eval_rows": trained.eval_rows}  # fmt: skip


class DatasetSerializer(serializers.ModelSerializer):
    current_version = serializers.CharField(source="current_version.tag", default=None, read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "current_version", "created_at", "updated_at"]
        read_only_fields = fields


class DatasetList(generics.ListAPIView):
    """The tenant's datasets with their current version."""

    serializer_class = DatasetSerializer
    permission_classes = [DatasetsPermission]

    def get_queryset(self) -> Any:
        return selectors.dataset_list().order_by("name")


class UploadSerializer(serializers.ModelSerializer):
    upload_id = serializers.IntegerField(source="pk", read_only=True)
    dataset_id = serializers.IntegerField(read_only=True)
    delimiter = serializers.SerializerMethodField(help_text="A CSV's delimiter by name (comma, semicolon, tab, pipe).")
    estimate = serializers.SerializerMethodField(
        help_text="Rows and seconds a run should take; `warning` when that passes the worker's time limit."
    )

    class Meta:
        model = Upload
        fields = [
            "upload_id",
            "dataset_id",
            "filename",
            "format",
            "size",
            "delimiter",
            "columns",
            "preview",
            "mapping",
            "created_at",
            "estimate",
        ]
        read_only_fields = fields

    def get_delimiter(self, upload: Upload) -> str:
        return DELIMITER_NAMES.get(upload.delimiter, "")

    def get_estimate(self, upload: Upload) -> dict[str, Any]:
        return jobs.estimate(upload=upload)


class UploadRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"Accepted: {ACCEPTED}")
    dataset = serializers.IntegerField(required=False, min_value=1, help_text="An existing dataset's id.")
    name = serializers.CharField(required=False, max_length=100, help_text="A dataset name (created when new).")
    delimiter = serializers.ChoiceField(
        choices=["auto", *DELIMITERS, *DELIMITERS.values()],
        default="auto",
        help_text="A CSV's delimiter, by name or as the character; auto guesses it from the first rows.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("dataset") and not (attrs.get("name") or "").strip():
            raise serializers.ValidationError(_("Give `dataset` (an id) or `name`."))
        return attrs


class UploadView(APIView):
    """Upload a file: its first rows are read and previewed at once (the run reads the rest on the worker);
    a file that cannot be read is refused and not kept."""

    permission_classes = [DatasetsPermission]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=UploadRequestSerializer, responses={201: UploadSerializer})
    def post(self, request: Request) -> Response:
        form = UploadRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        chosen = selectors.dataset_get(data["dataset"]) if data.get("dataset") else None
        try:
            upload = services.upload_into(
                dataset=chosen, name=data.get("name", ""), uploaded=data["file"], delimiter=data["delimiter"]
            )
        except services.UploadRejected as exc:
            return Response({**_detail(exc), "accepted": ACCEPTED}, status=exc.status)
        except ValidationError as exc:
            return Response(_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)


class MappingSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=255)
    label = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")  # type: ignore[assignment]
    domain = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    response = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    meta = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list, max_length=200
    )


class ProcessSerializer(serializers.Serializer):
    upload_id = serializers.IntegerField(min_value=1)
    mapping = MappingSerializer(required=False, help_text="Default: the mapping suggested at upload.")
    balance_domains = serializers.BooleanField(default=False)
    balance_labels = serializers.BooleanField(default=False)
    augment = serializers.BooleanField(default=False)
    create_version = serializers.BooleanField(default=True, help_text="Write a version when nothing waits for review.")
    use_llm = serializers.BooleanField(default=True)
    label_with_llm = serializers.BooleanField(
        default=False, help_text="Ask the LLM about rows the labeler is unsure of."
    )
    tag = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    labels = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=500
    )


class RunSerializer(serializers.ModelSerializer):
    run_id = serializers.IntegerField(source="pk", read_only=True)
    dataset_id = serializers.IntegerField(read_only=True)
    upload_id = serializers.IntegerField(read_only=True)
    version = serializers.CharField(source="version.tag", default=None, read_only=True)
    to_review = serializers.SerializerMethodField()
    labelled_for_you = serializers.SerializerMethodField()
    error = ShownTextField()

    class Meta:
        model = Run
        fields = ["run_id", "dataset_id", "upload_id", "status", "error", "mapping", "options", "steps", "version",
                  "to_review", "labelled_for_you", "created_at", "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields

    def get_to_review(self, run: Run) -> int:
        return run.rows.filter(status="review").count()

    def get_labelled_for_you(self, run: Run) -> dict[str, Any]:
        """Rows the labeler labelled from the reviewers' decisions; while it may not yet, why (with the figures)."""
        return {"rows": run.rows.filter(method="learned").count(), "waits": selectors.labelling_for_you_waits(run)}


class ProcessView(APIView):
    """Run the pipeline over an upload; answers 202 with the run id to follow."""

    permission_classes = [DatasetsPermission]

    @extend_schema(request=ProcessSerializer, responses={202: RunSerializer})
    def post(self, request: Request) -> Response:
        form = ProcessSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        upload = selectors.upload_get(data.pop("upload_id"))
        mapping = Mapping.from_dict(data.pop("mapping", None) or upload.mapping)
        try:
            run = services.run_create(upload=upload, mapping=mapping, options=data)
        except ValidationError as exc:
            return Response(_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        body = RunSerializer(run).data
        body["status_url"] = reverse("v1:datasets-run", args=[run.pk])
        body["estimate"] = jobs.estimate(upload=upload, options=data)
        return Response(body, status=status.HTTP_202_ACCEPTED)


class RunView(generics.RetrieveAPIView):
    """A run's status, with each step's progress and counts."""

    serializer_class = RunSerializer
    permission_classes = [DatasetsPermission]

    def get_object(self) -> Run:
        return selectors.run_get(self.kwargs["pk"])


class WriteSerializer(serializers.Serializer):
    tag = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    balance_labels = serializers.BooleanField(required=False, allow_null=True, default=None)
    balance_domains = serializers.BooleanField(required=False, allow_null=True, default=None)


class RunWriteView(APIView):
    """Write a version from a processed run (rows still waiting for review are left out)."""

    permission_classes = [DatasetsPermission]

    @extend_schema(request=WriteSerializer, responses={202: RunSerializer})
    def post(self, request: Request, pk: int) -> Response:
        run = selectors.run_get(pk)
        form = WriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = None if isinstance(request.user, ApiClient) else request.user
        try:
            run = services.run_write_request(run=run, by=user, **form.validated_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            return Response(_detail(exc), status=status.HTTP_409_CONFLICT)
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RejectedRowSerializer(serializers.ModelSerializer):
    row_id = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = Row
        fields = ["row_id", "run_id", "external_id", "text", "original_label", "status", "review_reason"]
        read_only_fields = fields


class RejectedList(generics.ListAPIView):
    """The dataset's rejected rows, which later runs leave out until restored (``q`` searches text and id)."""

    serializer_class = RejectedRowSerializer
    permission_classes = [DatasetsPermission]

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Text or id contains")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no dataset
            return Row.objects.none()
        query = str(self.request.query_params.get("q", "")).strip()[:200]
        return selectors.rejected_rows(selectors.dataset_get(self.kwargs["pk"]), query=query)


class RejectedRestore(APIView):
    """Restore a rejected row: it waits for review again and later runs of the dataset label it."""

    permission_classes = [DatasetsPermission]

    @extend_schema(request=None, responses={200: RejectedRowSerializer})
    def post(self, request: Request, pk: int, row: int) -> Response:
        target = selectors.rejected_row_get(selectors.dataset_get(pk), row)
        user = None if isinstance(request.user, ApiClient) else request.user
        try:
            services.review_restore(row=target, by=user)  # type: ignore[arg-type]
        except ValidationError as exc:
            return Response(_detail(exc), status=status.HTTP_409_CONFLICT)
        target.refresh_from_db()
        return Response(RejectedRowSerializer(target).data)


class ClassifySerializer(serializers.Serializer):
    texts = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TEXT_CHARS, trim_whitespace=True),
        allow_empty=False,
        max_length=classifier.MAX_TEXTS,
    )
    dataset = serializers.IntegerField(required=False, min_value=1, help_text="Default: the latest current version.")
    version = serializers.CharField(required=False, max_length=32, help_text="A tag of `dataset`; default: current.")


class ClassifyView(APIView):
    """Label texts with the classifier trained from a version (default: the most recent current one)."""

    permission_classes = [DatasetsPermission]
    permission = "view_dataset"

    @extend_schema(
        request=ClassifySerializer,
        responses=inline_serializer("Classified", {
            "dataset": serializers.IntegerField(), "version": serializers.CharField(),
            "labels": inline_serializer("TextLabel", {"text": serializers.CharField(), "label": serializers.CharField(),
                                                      "confidence": serializers.FloatField(),
                                                      "scores": serializers.DictField()}, many=True),
        }),
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        form = ClassifySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        dataset = selectors.dataset_get(data["dataset"]) if data.get("dataset") else None
        if data.get("version") and dataset is None:
            return Response({"detail": _("Give `dataset` with `version`.")}, status=status.HTTP_400_BAD_REQUEST)
        version = selectors.classifier_version(dataset=dataset, tag=data.get("version", ""))
        if version is None:
            return Response({"detail": _("No version with a trained classifier: write a version first.")}, status=404)
        try:
            labels = classifier.classify(data["texts"], version=version)
        except ValidationError as exc:
            return Response(_detail(exc), status=status.HTTP_409_CONFLICT)
        return Response({
            "dataset": version.dataset_id, "version": version.tag,
            "labels": [{"text": x.text, "label": x.label, "confidence": x.confidence, "scores": x.scores}
                       for x in labels],
        })  # fmt: skip


class VersionList(generics.ListAPIView):
    """The versions of a dataset, newest first."""

    serializer_class = VersionSerializer
    permission_classes = [DatasetsPermission]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no dataset
            return Version.objects.none()
        return selectors.version_list(dataset=selectors.dataset_get(self.kwargs["pk"]))


class VersionDetail(generics.RetrieveAPIView):
    serializer_class = VersionSerializer
    permission_classes = [DatasetsPermission]

    def get_object(self) -> Version:
        return selectors.version_by_tag(selectors.dataset_get(self.kwargs["pk"]), self.kwargs["tag"])


class VersionCheckout(APIView):
    """Make a version the current one of its dataset."""

    permission_classes = [DatasetsPermission]
    permission = "change_version"

    @extend_schema(request=None, responses=VersionSerializer)
    def post(self, request: Request, pk: int, tag: str) -> Response:
        version = selectors.version_by_tag(selectors.dataset_get(pk), tag)
        versions.version_checkout(version=version)
        version.dataset.refresh_from_db()
        return Response(VersionSerializer(version).data)


class VersionDiff(APIView):
    """Rows added, removed and relabelled between two versions of a dataset, and per-label deltas."""

    permission_classes = [DatasetsPermission]

    @extend_schema(
        parameters=[OpenApiParameter("base", str, required=True), OpenApiParameter("other", str, required=True)],
        responses=inline_serializer("VersionDiff", {"added": serializers.IntegerField()}),
    )
    def get(self, request: Request, pk: int) -> Response:
        dataset = selectors.dataset_get(pk)
        base = selectors.version_by_tag(dataset, request.query_params.get("base", ""))
        other = selectors.version_by_tag(dataset, request.query_params.get("other", ""))
        diff = versions.version_diff(base=base, other=other)

        def changes(items: list[versions.Change]) -> list[dict[str, str]]:
            return [{"text": c.text, "label_before": c.label_before, "label_after": c.label_after, "split": c.split}
                    for c in items]  # fmt: skip

        return Response({
            "base": base.tag, "other": other.tag, "added": diff.added_count, "removed": diff.removed_count,
            "relabelled": diff.relabelled_count, "unchanged": diff.unchanged_count, "labels": diff.label_deltas,
            "added_rows": changes(diff.added), "removed_rows": changes(diff.removed),
            "relabelled_rows": changes(diff.relabelled),
        })  # fmt: skip


class Download(APIView):
    """The train or eval split of a version as JSONL (default), CSV or Parquet."""

    permission_classes = [DatasetsPermission]

    # Not `?format=`: DRF reads that one to pick its own renderer.
    @extend_schema(parameters=[OpenApiParameter("as", str, enum=list(DOWNLOAD_FORMATS))], responses={200: bytes})
    def get(self, request: Request, pk: int, split: str, tag: str) -> Any:
        dataset = selectors.dataset_get(pk)
        version = selectors.version_by_tag(dataset, tag)
        kind = request.query_params.get("as", "jsonl")
        try:
            return versions.download(version, split, kind)
        except ValidationError as exc:
            return Response(_detail(exc), status=status.HTTP_404_NOT_FOUND)


class Stats(APIView):
    """Counts of datasets, versions, runs by status, rows waiting for review, trained classifiers."""

    permission_classes = [DatasetsPermission]

    @extend_schema(responses=inline_serializer("DatasetStats", {"datasets": serializers.IntegerField()}))
    def get(self, request: Request) -> Response:
        return Response(selectors.stats())
