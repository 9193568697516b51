"""Managed control planes kbp cannot configure: what to run there instead, generated from the issuer.

EKS associates one OIDC identity provider per cluster (or maps IAM principals through access
entries), with the same claims and prefixes as our AuthenticationConfiguration but no CEL rules and
no custom CA. AKS integrates Entra ID itself and names users by UPN and groups by object ID.
"""

from __future__ import annotations

from typing import Any

from kbp.auth.issuers import Issuer


def eksctl_config(issuer: Issuer, *, cluster: str, region: str) -> dict[str, Any]:
    """An eksctl ClusterConfig with the issuer in `identityProviders` (eksctl associate identityprovider)."""
    provider: dict[str, Any] = {
        "name": issuer.name,
        "type": "oidc",
        "issuerUrl": issuer.url,
        "clientId": issuer.client_id,
        "usernameClaim": issuer.username_claim,
        "usernamePrefix": issuer.prefix,
    }
    if issuer.groups_claim:
        provider |= {"groupsClaim": issuer.groups_claim, "groupsPrefix": issuer.prefix}
    return {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": cluster, "region": region},
        "identityProviders": [provider],
    }


def eks_associate_command(issuer: Issuer, *, cluster: str, region: str) -> list[str]:
    """The same association with the AWS CLI."""
    fields = [
        f"identityProviderConfigName={issuer.name}",
        f"issuerUrl={issuer.url}",
        f"clientId={issuer.client_id}",
        f"usernameClaim={issuer.username_claim}",
        f"usernamePrefix={issuer.prefix}",
    ]
    if issuer.groups_claim:
        fields += [f"groupsClaim={issuer.groups_claim}", f"groupsPrefix={issuer.prefix}"]
    return [
        "aws", "eks", "associate-identity-provider-config",
        f"--region={region}", f"--cluster-name={cluster}", f"--oidc={','.join(fields)}",
    ]  # fmt: skip


def eks_access_entry(*, cluster: str, principal_arn: str, groups: tuple[str, ...]) -> list[str]:
    """An access entry mapping an IAM principal to Kubernetes groups (no aws-auth ConfigMap to lock
    yourself out with): bind those groups with `kbp team add --group`."""
    command = [
        "aws",
        "eks",
        "create-access-entry",
        f"--cluster-name={cluster}",
        f"--principal-arn={principal_arn}",
    ]
    if groups:
        command.append(f"--kubernetes-groups={','.join(groups)}")
    return command


def eks_caveats(issuer: Issuer) -> list[str]:
    notes = ["EKS never issues certificates for approved CSRs (aws/containers-roadmap#1604): use --oidc"]
    if issuer.ca_pem:
        notes.append(
            "EKS needs an issuer with a publicly trusted certificate: the custom CA is not carried over"
        )
    if issuer.rules:
        notes.append(
            "EKS has no CEL rules: enforce these at the IdP: " + "; ".join(r.message for r in issuer.rules)
        )
    return notes


def aks_commands(*, resource_group: str, cluster: str, admin_group: str) -> list[list[str]]:
    """Entra integration with Azure RBAC off (Kubernetes RBAC decides), local accounts off."""
    return [
        [
            "az", "aks", "update", f"--resource-group={resource_group}", f"--name={cluster}",
            "--enable-aad", f"--aad-admin-group-object-ids={admin_group}", "--disable-local-accounts",
        ],
        ["az", "aks", "get-credentials", f"--resource-group={resource_group}", f"--name={cluster}"],
        ["kubelogin", "convert-kubeconfig", "-l", "azurecli"],
    ]  # fmt: skip


AKS_NOTES = (
    "AKS names Entra users by UPN and groups by object ID, without a prefix; `kbp team add` binds "
    "the prefixed groups of an issuer in an AuthenticationConfiguration, so on AKS bind the object ID "
    "yourself: kubectl create rolebinding TEAM --clusterrole=edit --group=OBJECT-ID -n NAMESPACE",
    "Developers need Azure/kubelogin (`kubelogin convert-kubeconfig -l azurecli`, or -l devicecode)",
)
