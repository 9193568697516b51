"""Releases: immutable image tags from git, deploys of the journal chart, versioned configuration."""
