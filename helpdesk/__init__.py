# The torchvision shim goes in before anything can import transformers or torchvision (screenshot analysis).
from helpdesk import torchvision_shim

torchvision_shim.install()

from helpdesk.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
