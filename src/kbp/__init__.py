"""kbp: the Kubernetes Best Practices toolkit (onboarding, namespaces, reaper, lint, tags, local runtime)."""
