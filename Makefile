# Thin entry points. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
UV := python3 -m uv
PY := .venv/bin/python
export UV_PYTHON := 3.11
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: without it every pytest worker and
# every `python -m kbp` the tests run compiles the repository's modules again.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test collect check lint typecheck setup system-deps venv controlplane cluster images image-archives bench clean

run: setup
	$(PY) -m kbp local up --foreground

# The control plane's Go build is CPU-bound and the image build mostly waits on downloads and disk:
# both at once, with the linters (each a cache hit when nothing changed). Then five pytest-xdist
# workers on two cores, since most integration tests wait on servers (with three, the groups' busy
# time alone was 350 s a worker; the tests took 288 s on four and 264 s on five, one after the other); each group (a file, every test of a slow session fixture such as
# Dex, or one of the two lanes of files on the shared real node) stays on one worker, in order
# (tests/integration/conftest.py).
# One collection beside the linters writes the tests' bytecode (asserts rewritten) before the workers
# start, so each of them loads it instead of redoing it (6 CPU-s of collection instead of 16).
test: setup
	@$(MAKE) --no-print-directory -j4 --output-sync=target controlplane image-archives lint typecheck collect
	$(PY) -m pytest tests -n 5 --dist loadgroup

collect: venv
	$(PY) -m pytest tests --collect-only -q -p no:cacheprovider >/dev/null

check: venv lint typecheck
	$(PY) -m pytest tests/unit -q

lint: venv
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/lint-imports

# mypy's cache lives outside the clone, one per mypy version, so a clean clone (CI) re-checks only
# what differs from the last check on this machine (27 CPU-s for all of it). mypy checks each entry
# against the source's hash when the path or mtime differs; the lock keeps two checkouts from
# writing the cache at once.
KBP_CACHE ?= $(HOME)/.cache/kbp
MYPY_CACHE := $(KBP_CACHE)/mypy/$(shell sed -n '/^name = "mypy"$$/{n;s/^version = "\(.*\)"$$/\1/p;q}' uv.lock)

typecheck: venv
	@mkdir -p $(MYPY_CACHE)
	flock $(MYPY_CACHE).lock .venv/bin/mypy --cache-dir $(MYPY_CACHE)

setup: system-deps venv

system-deps:
	@bash scripts/install-system-deps.sh

venv:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --all-extras --all-groups --quiet --compile-bytecode

controlplane:
	bash testenv/build.sh
	bash testenv/observability/build.sh
	bash testenv/gateway/build.sh
	bash testenv/certmanager/build.sh

cluster: setup controlplane
	$(PY) -m kbp cluster up

# The images from the repository's Dockerfiles (buildah, Debian-made bases), loaded into the local
# cluster's real node when one runs; a cache hit when nothing changed (docs/images.md).
images: setup
	$(PY) -m kbp image build --allow-dirty

image-archives: venv
	$(PY) -m kbp image build --allow-dirty --no-load

bench: setup
	$(PY) -m bench.journal

clean:
	rm -rf .venv .kbp .pytest_cache .mypy_cache .ruff_cache
