"""A real node beside the kwok ones: kubelet, containerd, kube-proxy, CoreDNS, own namespaces."""
