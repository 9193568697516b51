#!/bin/sh
# Install the journal service's dependencies, and nothing of the toolkit's, into the virtualenv
# $1 from uv.lock: only the `journal` extra, no dev group, not the project itself (whose wheel
# would carry the kbp package too). images/api/Dockerfile and tests/integration/images run this.
set -eu
venv=${1:?usage: install.sh VENV_DIR}
UV_PROJECT_ENVIRONMENT=$venv exec uv sync --frozen --no-dev --extra journal --no-install-project \
  --no-editable --compile-bytecode --quiet
