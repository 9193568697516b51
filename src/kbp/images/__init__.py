"""Images built here: Debian-made bases, the repository Dockerfiles through buildah, loaded into a node."""
