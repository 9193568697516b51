"""Cluster services as pinned Helm releases: a thin layer over one helmfile.

releases.py reads and checks the file (pure), drift.py compares deployed versions with their pins
(pure), changes.py diffs rendered manifests against deployed ones (pure), running.py shells out to
helmfile and helm, and planning.py puts them together for the CLI.

Exceptions, all from errors.py:

    PlatformError        anything this package raises
    ├── PinError         the file is unreadable, malformed or unpinned (exit 2, nothing ran)
    └── ToolError        helmfile or helm is missing or failed (exit 1)
"""
