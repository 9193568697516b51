"""A real local Kubernetes control plane: build inputs, PKI, processes, readiness."""
