"""kbp lint: an offline best-practice checker for Kubernetes manifests, Helm charts and Dockerfiles.

Layers, bottom up: ``sources`` reads bytes, ``loader`` turns YAML into located ``Manifest``s,
``rules`` are pure functions over one manifest plus the ``Bundle`` index, ``engine`` runs them and
applies exemptions and baselines, ``report`` renders. Only ``sources`` and ``helm`` touch the disk
or processes.
"""
