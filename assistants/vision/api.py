"""``POST /api/v1/vision/classify``: read and classify one image with the tenant's labels (seed 002's endpoint)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assistants.vision import ocr, pipeline, selectors
from assistants.vision.imaging import ImageRejected
from helpdesk.accounts.authentication import ApiClient


class CanReadTickets(permissions.BasePermission):
    """API keys act for the tenant; a signed-in user needs to be able to read tickets."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, ApiClient) or bool(
            request.user and request.user.has_perm("tickets.view_ticket")
        )


class ClassifyInput(serializers.Serializer):
    image = serializers.FileField(help_text="The image (PNG, JPEG, GIF, WebP, BMP, TIFF); `file` is accepted too.")


ClassifyOutput = inline_serializer(
    "VisionClassification",
    {
        "category": serializers.CharField(help_text="The label's name; the fallback label when nothing was read."),
        "title": serializers.CharField(),
        "confidence": serializers.FloatField(),
        "low_confidence": serializers.BooleanField(),
        "labels": serializers.ListField(child=serializers.CharField()),
        "scores": serializers.DictField(child=serializers.FloatField()),
        "source": serializers.ChoiceField(choices=["ocr", "clip", "both", "none"]),
        "text": serializers.CharField(),
        "lines": serializers.ListField(child=serializers.DictField()),
        "error_codes": serializers.ListField(child=serializers.CharField()),
        "error_messages": serializers.ListField(child=serializers.CharField()),
        "width": serializers.IntegerField(),
        "height": serializers.IntegerField(),
        "frames": serializers.IntegerField(),
        "clip_error": serializers.CharField(allow_null=True),
        "timings_ms": serializers.DictField(child=serializers.FloatField()),
    },
)


class VisionClassifyView(APIView):
    parser_classes = [MultiPartParser]
    permission_classes = [CanReadTickets]

    @extend_schema(
        request={"multipart/form-data": ClassifyInput},
        responses={
            200: ClassifyOutput,
            400: OpenApiResponse(description="No image, or a damaged one"),
            413: OpenApiResponse(description="Larger than VISION_MAX_UPLOAD_MB or VISION_MAX_PIXELS"),
            415: OpenApiResponse(description="Not an image type that is read"),
            503: OpenApiResponse(description="The OCR engine is unavailable"),
        },
        summary="Read and classify a screenshot",
    )
    def post(self, request: Request) -> Response:
        """OCR text, error codes and a category (with confidence) for one image, with the tenant's labels."""
        upload = request.FILES.get("image") or request.FILES.get("file")
        if upload is None:
            return Response({"image": ["Send the image as multipart field `image`."]}, status=400)
        limit = settings.VISION_MAX_UPLOAD_MB * 1024 * 1024
        if (upload.size or 0) > limit:
            return Response({"detail": f"The image is larger than {settings.VISION_MAX_UPLOAD_MB} MB."}, status=413)
        labels = selectors.label_specs()
        try:
            result = pipeline.analyse(upload.read(), labels)
        except ImageRejected as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        except ocr.OcrUnavailable as exc:
            return Response({"detail": f"The OCR engine is unavailable: {exc}"}, status=503)
        titles = {label.name: label.title for label in labels}
        return Response(
            {
                "category": result.category,
                "title": titles.get(result.category, result.category),
                "confidence": round(result.confidence, 4),
                "low_confidence": result.low_confidence,
                "labels": [label.name for label in labels],
                "scores": result.scores,
                "source": result.source,
                "text": result.text,
                "lines": [line.as_dict() for line in result.lines],
                "error_codes": result.error_codes,
                "error_messages": result.error_messages,
                "width": result.width,
                "height": result.height,
                "frames": result.frames,
                "clip_error": result.clip_error or None,
                "timings_ms": result.timings_ms,
            }
        )
