"""Known field names of the pod-spec structures people typo most (Kubernetes 1.33 API)."""

from __future__ import annotations

METADATA = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)
POD_SPEC = frozenset(
    {
        "activeDeadlineSeconds",
        "affinity",
        "automountServiceAccountToken",
        "containers",
        "dnsConfig",
        "dnsPolicy",
        "enableServiceLinks",
        "ephemeralContainers",
        "hostAliases",
        "hostIPC",
        "hostNetwork",
        "hostPID",
        "hostUsers",
        "hostname",
        "hostnameOverride",
        "imagePullSecrets",
        "initContainers",
        "nodeName",
        "nodeSelector",
        "os",
        "overhead",
        "preemptionPolicy",
        "priority",
        "priorityClassName",
        "readinessGates",
        "resourceClaims",
        "resources",
        "restartPolicy",
        "runtimeClassName",
        "schedulerName",
        "schedulingGates",
        "securityContext",
        "serviceAccount",
        "serviceAccountName",
        "setHostnameAsFQDN",
        "shareProcessNamespace",
        "subdomain",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
        "volumes",
    }
)
CONTAINER = frozenset(
    {
        "args",
        "command",
        "env",
        "envFrom",
        "image",
        "imagePullPolicy",
        "lifecycle",
        "livenessProbe",
        "name",
        "ports",
        "readinessProbe",
        "resizePolicy",
        "resources",
        "restartPolicy",
        "restartPolicyRules",
        "securityContext",
        "startupProbe",
        "stdin",
        "stdinOnce",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "tty",
        "volumeDevices",
        "volumeMounts",
        "workingDir",
        "targetContainerName",
    }
)
RESOURCES = frozenset({"limits", "requests", "claims"})
VOLUME_SOURCES = frozenset(
    {
        "awsElasticBlockStore",
        "azureDisk",
        "azureFile",
        "cephfs",
        "cinder",
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "fc",
        "flexVolume",
        "flocker",
        "gcePersistentDisk",
        "gitRepo",
        "glusterfs",
        "hostPath",
        "image",
        "iscsi",
        "nfs",
        "persistentVolumeClaim",
        "photonPersistentDisk",
        "portworxVolume",
        "projected",
        "quobyte",
        "rbd",
        "scaleIO",
        "secret",
        "storageos",
        "vsphereVolume",
    }
)
VOLUME = VOLUME_SOURCES | {"name"}
SECRET_VOLUME = frozenset({"secretName", "items", "defaultMode", "optional"})
CONFIGMAP_VOLUME = frozenset({"name", "items", "defaultMode", "optional"})
VOLUME_MOUNT = frozenset(
    {"name", "mountPath", "subPath", "subPathExpr", "readOnly", "recursiveReadOnly", "mountPropagation"}
)
PROBE = frozenset(
    {
        "exec",
        "httpGet",
        "tcpSocket",
        "grpc",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "successThreshold",
        "failureThreshold",
        "terminationGracePeriodSeconds",
    }
)
# Where a misplaced key really belongs: the book puts secretName straight on the volume.
MISPLACED = {("volume", "secretName"): "secretName belongs under secret: (volumes[].secret.secretName)"}
# Workload, Service and Ingress specs: where `replica:` or `servicename:` typos hide.
SPECS: dict[str, frozenset[str]] = {
    "Deployment": frozenset(
        {"replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused"}
        | {"progressDeadlineSeconds"}
    ),
    "StatefulSet": frozenset(
        {"replicas", "selector", "template", "volumeClaimTemplates", "serviceName", "podManagementPolicy"}
        | {
            "updateStrategy",
            "revisionHistoryLimit",
            "minReadySeconds",
            "persistentVolumeClaimRetentionPolicy",
        }
        | {"ordinals"}
    ),
    "DaemonSet": frozenset(
        {"selector", "template", "updateStrategy", "minReadySeconds", "revisionHistoryLimit"}
    ),
    "ReplicaSet": frozenset({"replicas", "minReadySeconds", "selector", "template"}),
    "Job": frozenset(
        {"parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "successPolicy"}
        | {
            "backoffLimit",
            "backoffLimitPerIndex",
            "maxFailedIndexes",
            "selector",
            "manualSelector",
            "template",
        }
        | {"ttlSecondsAfterFinished", "completionMode", "suspend", "podReplacementPolicy", "managedBy"}
    ),
    "CronJob": frozenset(
        {"schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy", "suspend", "jobTemplate"}
        | {"successfulJobsHistoryLimit", "failedJobsHistoryLimit"}
    ),
    "Service": frozenset(
        {"ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity"}
        | {"loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy"}
        | {"healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies"}
        | {"ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy"}
        | {"trafficDistribution"}
    ),
    "Ingress": frozenset({"ingressClassName", "defaultBackend", "backend", "tls", "rules"}),
}
SERVICE_PORT = frozenset({"name", "protocol", "appProtocol", "port", "targetPort", "nodePort"})
CONTAINER_PORT = frozenset({"containerPort", "hostPort", "hostIP", "name", "protocol"})
ENV_VAR = frozenset({"name", "value", "valueFrom"})
