{{/* Names, labels and small pieces shared by every component. */}}

{{- define "journal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or the release alone when it already contains the chart name; at most 38
characters, so the longest name built on it, the StatefulSet <fullname>-redis-replica, stays within
52: its pods carry controller-revision-hash=<name>-<10 characters>, and a label value has at most
63. Release names may have 53 (Helm's limit); tests render and install the longest. */}}
{{- define "journal.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 38 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 38 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 38 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "journal.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable ones only. Call with (dict "ctx" . "component" "frontend"). */}}
{{- define "journal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "journal.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Every label: the selector labels plus version, chart and manager. */}}
{{- define "journal.labels" -}}
{{ include "journal.selectorLabels" . }}
app.kubernetes.io/part-of: journal
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "journal.chart" .ctx }}
{{- end }}

{{/* repository:tag@digest. Call with one entry of .Values.image. */}}
{{- define "journal.image" -}}
{{- if .digest }}
{{- printf "%s:%s@%s" .repository .tag .digest }}
{{- else }}
{{- printf "%s:%s" .repository .tag }}
{{- end }}
{{- end }}

{{- define "journal.configMapName" -}}
{{- printf "%s-config-v%d" (include "journal.fullname" .) (int .Values.config.version) }}
{{- end }}

{{- define "journal.redisName" -}}
{{- printf "%s-redis" (include "journal.fullname" .) }}
{{- end }}

{{- define "journal.redisHeadless" -}}
{{- printf "%s-redis-headless" (include "journal.fullname" .) }}
{{- end }}

{{/* The primary's stable DNS name: pod 0 of the StatefulSet, through the headless Service. */}}
{{- define "journal.redisPrimaryHost" -}}
{{- printf "%s-0.%s.%s.svc" (include "journal.redisName" .) (include "journal.redisHeadless" .) .Release.Namespace }}
{{- end }}

{{/* Every Redis pod's sentinel, host:port,...: the primary's pod, then each replica's. */}}
{{- define "journal.sentinelAddresses" -}}
{{- include "journal.redisPodAddresses" (dict "ctx" . "port" .Values.redis.sentinel.port) }}
{{- end }}

{{/* Every Redis pod's server, host:port,... (launch.sh's REDIS_PEERS). */}}
{{- define "journal.redisAddresses" -}}
{{- include "journal.redisPodAddresses" (dict "ctx" . "port" .Values.redis.port) }}
{{- end }}

{{/* Every Redis pod's stable DNS name with `port`: pod 0 of the primary's StatefulSet, then each replica. */}}
{{- define "journal.redisPodAddresses" -}}
{{- $ := .ctx }}
{{- $name := include "journal.redisName" $ }}
{{- $domain := printf "%s.%s.svc" (include "journal.redisHeadless" $) $.Release.Namespace }}
{{- $port := int .port }}
{{- $addresses := list (printf "%s-0.%s:%d" $name $domain $port) }}
{{- range $i := until (int $.Values.redis.replicas) }}
{{- $addresses = append $addresses (printf "%s-replica-%d.%s:%d" $name $i $domain $port) }}
{{- end }}
{{- join "," $addresses }}
{{- end }}

{{/* The ServiceAccount every pod runs as: <fullname> when the chart creates it, else the given one. */}}
{{- define "journal.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "journal.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "journal.passwordSecretName" -}}
{{- default (printf "%s-redis-passwd" (include "journal.fullname" .)) .Values.redis.auth.existingSecret }}
{{- end }}

{{/* The volume holding the Redis password as a file `passwd`: a Secret or the CSI driver. */}}
{{- define "journal.passwordVolume" -}}
- name: redis-passwd
{{- if eq .Values.redis.auth.source "csi" }}
  csi:
    driver: secrets-store.csi.k8s.io
    readOnly: true
    volumeAttributes:
      secretProviderClass: {{ printf "%s-redis-passwd" (include "journal.fullname" .) }}
    {{- with .Values.redis.auth.csi.nodePublishSecretRef }}
    nodePublishSecretRef:
      name: {{ . }}
    {{- end }}
{{- else }}
  secret:
    secretName: {{ include "journal.passwordSecretName" . }}
    defaultMode: 0440
    items:
      - key: {{ .Values.redis.auth.existingSecretKey }}
        path: passwd
{{- end }}
{{- end }}

{{/* Non-root, read-only root filesystem, no privilege escalation, no capabilities. */}}
{{- define "journal.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Spread a component's pods over nodes and zones. Call with (dict "ctx" . "component" "frontend"). */}}
{{- define "journal.topologySpread" -}}
topologySpreadConstraints:
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $.ctx.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "journal.selectorLabels" $ | nindent 8 }}
{{- end }}
{{- end }}

{{/* Combinations the schema cannot express; one message naming every --set that fixes them. */}}
{{- define "journal.validateValues" -}}
{{- $errors := list }}
{{- if and (eq .Values.redis.auth.source "csi") (empty .Values.redis.auth.csi.parameters) }}
{{- $errors = append $errors "redis.auth.source=csi needs redis.auth.csi.parameters (the provider's settings; see values.yaml)" }}
{{- end }}
{{- if and (eq .Values.redis.auth.source "csi") .Values.redis.auth.existingSecret }}
{{- $errors = append $errors "redis.auth.existingSecret is only read with redis.auth.source=secret: unset one of them" }}
{{- end }}
{{- if and (eq .Values.redis.antiAffinity "hard") (lt (int .Values.redis.replicas) 2) }}
{{- $errors = append $errors "redis.antiAffinity=hard is for two or more pods: --set redis.replicas=2 or redis.antiAffinity=soft" }}
{{- end }}
{{- if and .Values.redis.sentinel.enabled (lt (int .Values.redis.replicas) 2) }}
{{- $errors = append $errors (printf "redis.sentinel.enabled needs 3 Redis pods or more for a quorum of 2 (have %d): --set redis.replicas=2" (add1 (int .Values.redis.replicas))) }}
{{- end }}
{{- /* The journal's own default is 1 (src/journal/settings.py) when config.settings leaves it out. */}}
{{- $acks := int (dig "replica_acks" 1 .Values.config.settings) }}
{{- $replicas := int .Values.redis.replicas }}
{{- if gt $acks $replicas }}
{{- $errors = append $errors (printf "config.settings.replica_acks=%d exceeds redis.replicas=%d: no write could ever be acknowledged; --set config.settings.replica_acks=%d or redis.replicas=%d" $acks $replicas $replicas $acks) }}
{{- else if and (ge $acks 1) (eq $replicas 1) }}
{{- $errors = append $errors (printf "config.settings.replica_acks=%d with redis.replicas=1: every restart of the one replica stops all writes; --set redis.replicas=2 or config.settings.replica_acks=0" $acks) }}
{{- end }}
{{- if and (ne .Values.exposure.kind "none") (empty .Values.exposure.host) }}
{{- $errors = append $errors (printf "exposure.kind=%s needs a host: --set exposure.host=journal.example.org" .Values.exposure.kind) }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\ninvalid values:\n  - %s" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}

{{/* An egress rule to the cluster DNS (networkPolicy.dns), for NetworkPolicy egress lists. */}}
{{- define "journal.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dns.namespace }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end }}

{{/* An egress rule to this release's Redis pods: Redis, and the sentinels when they run. */}}
{{- define "journal.redisEgress" -}}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: {{ include "journal.name" . }}
          app.kubernetes.io/instance: {{ .Release.Name }}
          kbp.dev/redis: "true"
  ports:
    - port: {{ .Values.redis.port }}
    {{- if .Values.redis.sentinel.enabled }}
    - port: {{ .Values.redis.sentinel.port }}
    {{- end }}
{{- end }}
