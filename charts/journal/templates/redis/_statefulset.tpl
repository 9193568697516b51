{{/*
One Redis StatefulSet. Call with (dict "ctx" . "role" "primary"|"replica"). The primary and the
replicas are two StatefulSets under one headless Service because a Service selector cannot exclude
a pod: with one StatefulSet, redis-read would also send reads to the primary.
*/}}
{{- define "journal.redisStatefulSet" -}}
{{- $ := .ctx }}
{{- $component := printf "redis-%s" .role }}
{{- $c := dict "ctx" $ "component" $component }}
{{- $name := include "journal.redisName" $ }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ eq .role "primary" | ternary $name (printf "%s-replica" $name) }}
  labels:
    {{- include "journal.labels" $c | nindent 4 }}
  {{- if eq .role "primary" }}
  annotations:
    kbp.dev/lint-exempt: min-replicas
    kbp.dev/lint-exempt-reason: "one primary by design: replicas serve reads and the API falls back to the primary"
  {{- end }}
spec:
  serviceName: {{ include "journal.redisHeadless" $ }}
  replicas: {{ eq .role "primary" | ternary 1 $.Values.redis.replicas }}
  # Replicas retry the primary until it answers, so nothing needs to wait for ordinal order.
  podManagementPolicy: Parallel
  revisionHistoryLimit: 10
  updateStrategy:
    type: RollingUpdate
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  selector:
    matchLabels:
      {{- include "journal.selectorLabels" $c | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "journal.labels" $c | nindent 8 }}
        kbp.dev/redis: "true"
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/redis/configmap.yaml") $ | sha256sum }}
    spec:
      serviceAccountName: {{ include "journal.serviceAccountName" $ }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
        runAsGroup: 999
        fsGroup: 999
        fsGroupChangePolicy: OnRootMismatch
      terminationGracePeriodSeconds: 30
      affinity:
        podAntiAffinity:
          {{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchExpressions" (list (dict "key" "app.kubernetes.io/component" "operator" "In" "values" (list "redis-primary" "redis-replica")) (dict "key" "app.kubernetes.io/instance" "operator" "In" "values" (list $.Release.Name)))) }}
          {{- if eq $.Values.redis.antiAffinity "hard" }}
          requiredDuringSchedulingIgnoredDuringExecution:
            - {{- toYaml $term | nindent 14 }}
          {{- else }}
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                {{- toYaml $term | nindent 16 }}
          {{- end }}
      # Across zones as well: anti-affinity keeps the primary and its replicas off one node, this
      # keeps them out of one zone, so a zone outage leaves a copy of the data.
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: {{ $.Values.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchExpressions:
              - {key: app.kubernetes.io/component, operator: In, values: [redis-primary, redis-replica]}
              - {key: app.kubernetes.io/instance, operator: In, values: [{{ $.Release.Name | quote }}]}
      containers:
        - name: redis
          image: {{ include "journal.image" $.Values.image.redis }}
          imagePullPolicy: {{ $.Values.imagePullPolicy }}
          command: [sh, /opt/journal-redis/launch.sh]
          env:
            - name: REDIS_ROLE
              value: {{ .role }}
            - name: REDIS_PORT
              value: {{ $.Values.redis.port | quote }}
            - name: REDIS_PRIMARY_HOST
              value: {{ include "journal.redisPrimaryHost" $ }}
            - name: REDIS_PRIMARY_PORT
              value: {{ $.Values.redis.port | quote }}
            - name: REDIS_CONF
              value: /opt/journal-redis/redis.conf
            - name: REDIS_DATA_DIR
              value: /data
            - name: REDIS_RUN_DIR
              value: /run/redis
            - name: REDIS_PASSWORD_FILE
              value: /etc/redis-passwd/passwd
            {{- if $.Values.redis.sentinel.enabled }}
            {{- include "journal.sentinelEnv" $ | nindent 12 }}
            # Asked when no sentinel answers: a restart must not make a second primary.
            - name: REDIS_PEERS
              value: {{ include "journal.redisAddresses" $ | quote }}
            {{- end }}
          ports:
            - name: redis
              containerPort: {{ $.Values.redis.port }}
          # Each probe pings this pod only: a restarting primary never fails its replicas' probes.
          # Startup and liveness accept LOADING (a large AOF loads for minutes); readiness does not.
          startupProbe:
            exec: {command: [sh, /opt/journal-redis/probe.sh, live]}
            periodSeconds: 2
            failureThreshold: 90
          livenessProbe:
            exec: {command: [sh, /opt/journal-redis/probe.sh, live]}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            exec: {command: [sh, /opt/journal-redis/probe.sh]}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            {{- toYaml $.Values.redis.resources | nindent 12 }}
          securityContext:
            {{- include "journal.containerSecurity" $ | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /data
            - name: scripts
              mountPath: /opt/journal-redis
              readOnly: true
            - name: redis-passwd
              mountPath: /etc/redis-passwd
              readOnly: true
            - name: run
              mountPath: /run/redis
        {{- if $.Values.redis.sentinel.enabled }}
        # Watches the primary with the sentinels of the other Redis pods and promotes a replica
        # when it stays down for downAfterMilliseconds (files/redis/sentinel.sh).
        - name: sentinel
          image: {{ include "journal.image" $.Values.image.redis }}
          imagePullPolicy: {{ $.Values.imagePullPolicy }}
          command: [sh, /opt/journal-redis/sentinel.sh]
          env:
            - name: REDIS_PRIMARY_HOST
              value: {{ include "journal.redisPrimaryHost" $ }}
            - name: REDIS_PRIMARY_PORT
              value: {{ $.Values.redis.port | quote }}
            - name: REDIS_PASSWORD_FILE
              value: /etc/redis-passwd/passwd
            - name: SENTINEL_DIR
              value: /run/sentinel
            - name: SENTINEL_DOWN_AFTER_MS
              value: {{ $.Values.redis.sentinel.downAfterMilliseconds | quote }}
            - name: SENTINEL_FAILOVER_TIMEOUT_MS
              value: {{ $.Values.redis.sentinel.failoverTimeoutMilliseconds | quote }}
            {{- include "journal.sentinelEnv" $ | nindent 12 }}
          ports:
            - name: sentinel
              containerPort: {{ $.Values.redis.sentinel.port }}
          # Startup: it could fail over (sees the primary, a replica, its peers: probe.sh);
          # liveness: it accepts connections; readiness: it answers PING.
          startupProbe:
            exec: {command: [sh, /opt/journal-redis/probe.sh, sentinel-start]}
            periodSeconds: 2
            timeoutSeconds: 3
            failureThreshold: 90
          livenessProbe:
            tcpSocket: {port: sentinel}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            exec: {command: [sh, /opt/journal-redis/probe.sh, sentinel]}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            {{- toYaml $.Values.redis.sentinel.resources | nindent 12 }}
          securityContext:
            {{- include "journal.containerSecurity" $ | nindent 12 }}
          volumeMounts:
            - name: scripts
              mountPath: /opt/journal-redis
              readOnly: true
            - name: redis-passwd
              mountPath: /etc/redis-passwd
              readOnly: true
            # Sentinel rewrites its config (it holds auth-pass): memory only, 0600.
            - name: sentinel
              mountPath: /run/sentinel
        {{- end }}
      volumes:
        - name: scripts
          configMap:
            name: {{ $name }}
        {{- include "journal.passwordVolume" $ | nindent 8 }}
        # The auth include holds the password: memory only, never the persistent volume.
        - name: run
          emptyDir:
            medium: Memory
            sizeLimit: 1Mi
        {{- if $.Values.redis.sentinel.enabled }}
        - name: sentinel
          emptyDir:
            medium: Memory
            sizeLimit: 1Mi
        {{- end }}
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- include "journal.selectorLabels" $c | nindent 10 }}
      spec:
        accessModes: [ReadWriteOnce]
        {{- with $.Values.redis.persistence.storageClass }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $.Values.redis.persistence.size }}
{{- end }}

{{/* What launch.sh and sentinel.sh share in Sentinel mode: this pod's stable DNS name and every sentinel. */}}
{{- define "journal.sentinelEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: REDIS_ANNOUNCE_HOST
  value: {{ printf "$(POD_NAME).%s.%s.svc" (include "journal.redisHeadless" .) .Release.Namespace | quote }}
- name: SENTINEL_ANNOUNCE_HOST
  value: "$(REDIS_ANNOUNCE_HOST)"
- name: SENTINEL_PORT
  value: {{ .Values.redis.sentinel.port | quote }}
- name: SENTINEL_ADDRESSES
  value: {{ include "journal.sentinelAddresses" . | quote }}
{{- end }}
