"""The certificates, keys and kubeconfigs one cluster needs, written into its state directory."""

from __future__ import annotations

from kbp.cluster import kubeconfigs, pki
from kbp.cluster.components import LOCALHOST
from kbp.cluster.layout import Layout

ADMIN = pki.Identity("kbp-admin", groups=("system:masters",))
# The bootstrap RBAC policy binds these user names; the apiserver needs no extra roles.
CLIENTS = {
    "kube-controller-manager": pki.Identity("system:kube-controller-manager"),
    "kube-scheduler": pki.Identity("system:kube-scheduler"),
    # kwok writes node and pod status for every fake node, which no narrow built-in role allows.
    "kwok": pki.Identity("kwok-controller", groups=("system:masters",)),
}
SERVING = ("kube-controller-manager", "kube-scheduler")
# The apiserver presents this when proxying to aggregated API servers (metrics-server and the like).
FRONT_PROXY_CLIENT = pki.Identity("front-proxy-client")
# ...and this to a kubelet, for logs, exec and port-forward (kubeadm's name and group).
KUBELET_CLIENT = pki.Identity("kube-apiserver-kubelet-client", groups=("system:masters",))
# The real node's daemons. The Node authorizer and the bootstrap policy know the first two;
# The volume provisioner gets a ClusterRole of its own (kbp.cluster.node.objects); CoreDNS runs
# as a pod with a ServiceAccount (kbp.cluster.node.dns).
NODE_CLIENTS = {
    "kubelet": pki.Identity("system:node:kbp-node", groups=("system:nodes",)),
    "kube-proxy": pki.Identity("system:kube-proxy"),
    "node-volumes": pki.Identity("kbp:node-volumes"),
}


def write_all(layout: Layout, server: str) -> None:
    """A fresh CA, serving and client certificates, the SA key pair, and every kubeconfig."""
    ca = pki.make_ca()
    pki.write_pair(layout.pki, "ca", ca)
    pki.write_pair(
        layout.pki,
        "apiserver",
        pki.issue(ca, pki.Identity("kube-apiserver", sans=pki.SERVER_SANS, server=True)),
    )
    for name in SERVING:
        serving = pki.Identity(name, sans=(LOCALHOST, "localhost"), server=True)
        pki.write_pair(layout.pki, f"{name}-serving", pki.issue(ca, serving))
    for name, identity in CLIENTS.items():
        paths = pki.write_pair(layout.pki, name, pki.issue(ca, identity))
        doc = kubeconfigs.by_path(server, layout.cert("ca"), paths.cert, paths.key, identity.name)
        kubeconfigs.write(layout.component_kubeconfig(name), doc)
    _front_proxy(layout)
    pki.write_pair(layout.pki, "kubelet-client", pki.issue(ca, KUBELET_CLIENT))
    for name, identity in NODE_CLIENTS.items():
        paths = pki.write_pair(layout.pki, name, pki.issue(ca, identity))
        doc = kubeconfigs.by_path(server, layout.cert("ca"), paths.cert, paths.key, identity.name)
        kubeconfigs.write(layout.component_kubeconfig(name), doc)
    sa = pki.new_key()
    pki.write_secret(layout.key("sa"), pki.key_pem(sa))
    (layout.pki / "sa.pub").write_bytes(pki.public_pem(sa))
    admin = pki.issue(ca, ADMIN)
    pki.write_pair(layout.pki, "admin", admin)
    doc = kubeconfigs.embedded(server, ca.cert_pem, admin.cert_pem, admin.key_pem, ADMIN.name)
    kubeconfigs.write(layout.kubeconfig, doc)


def _front_proxy(layout: Layout) -> None:
    # Its own CA, as kubeadm does: a certificate from it lets the holder assert any user in headers.
    ca = pki.make_ca("kbp-front-proxy-ca")
    pki.write_pair(layout.pki, "front-proxy-ca", ca)
    pki.write_pair(layout.pki, FRONT_PROXY_CLIENT.name, pki.issue(ca, FRONT_PROXY_CLIENT))
