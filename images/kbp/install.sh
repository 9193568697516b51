#!/bin/sh
# Install the toolkit's dependencies, and nothing of the journal's, into the virtualenv $1 from
# uv.lock: only the `kbp` extra, no dev group, not the project itself (whose wheel would carry the
# journal package too). images/kbp/Dockerfile and tests/integration/images run this.
set -eu
venv=${1:?usage: install.sh VENV_DIR}
UV_PROJECT_ENVIRONMENT=$venv exec uv sync --frozen --no-dev --extra kbp --no-install-project \
  --no-editable --compile-bytecode --quiet
