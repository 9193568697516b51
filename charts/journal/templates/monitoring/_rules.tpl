{{/*
The journal's alert rules as a `groups:` list, shared by the PrometheusRule and by the tests, which
run `promtool test rules` on exactly this render. Every expression selects this release's API
series by the labels its ServiceMonitor gives them: namespace and service.
*/}}
{{- define "journal.alertGroups" -}}
{{- $r := .Values.monitoring.prometheusRule }}
{{- $sel := printf "namespace=%q,service=%q" .Release.Namespace (printf "%s-api" (include "journal.fullname" .)) }}
{{- $labels := dict "namespace" .Release.Namespace "service" (printf "%s-api" (include "journal.fullname" .)) }}
groups:
  - name: {{ include "journal.fullname" . }}.rules
    rules:
      - alert: JournalAPIUnavailable
        # No API pod answers its scrape: every pod gone, crashing or unreachable.
        expr: absent(up{ {{- $sel -}} } == 1)
        for: {{ $r.availability.for }}
        labels:
          severity: critical
          {{- toYaml $labels | nindent 10 }}
        annotations:
          summary: No journal API pod in {{ .Release.Namespace }} answers its metrics scrape.
          description: "The API of release {{ .Release.Name }} has been unavailable for {{ $r.availability.for }}: every request through the route fails."
      - alert: JournalHighErrorRatio
        expr: |
          sum(rate(journal_http_requests_total{ {{- $sel -}} ,status=~"5.."}[5m]))
            / sum(rate(journal_http_requests_total{ {{- $sel -}} }[5m])) > {{ $r.errorRatio.threshold }}
        for: {{ $r.errorRatio.for }}
        labels:
          severity: critical
          {{- toYaml $labels | nindent 10 }}
        annotations:
          summary: "More than {{ "{{" }} {{ $r.errorRatio.threshold }} | humanizePercentage {{ "}}" }} of journal API requests fail with 5xx."
          description: "{{ "{{" }} $value | humanizePercentage {{ "}}" }} of requests answered 5xx over 5 minutes."
      - alert: JournalHighLatencyP99
        expr: |
          histogram_quantile(0.99,
            sum by (le) (rate(journal_http_request_duration_seconds_bucket{ {{- $sel -}} }[5m]))) > {{ $r.latencyP99.thresholdSeconds }}
        for: {{ $r.latencyP99.for }}
        labels:
          severity: warning
          {{- toYaml $labels | nindent 10 }}
        annotations:
          summary: "The journal API's p99 latency is above {{ $r.latencyP99.thresholdSeconds }}s."
          description: "p99 over 5 minutes: {{ "{{" }} $value | humanizeDuration {{ "}}" }}."
      - alert: JournalWritesUnacknowledged
        # A write answered 503 because no replica confirmed it in time: its fate is unknown.
        expr: sum(increase(journal_unconfirmed_writes_total{ {{- $sel -}} }[5m])) > {{ $r.unacknowledgedWrites.threshold }}
        for: {{ $r.unacknowledgedWrites.for }}
        labels:
          severity: critical
          {{- toYaml $labels | nindent 10 }}
        annotations:
          summary: Writes go unacknowledged by every Redis replica.
          description: "{{ "{{" }} $value | humanize {{ "}}" }} writes in 5 minutes were answered 503 without a replica's confirmation: is a replica down or far behind?"
      - alert: JournalReplicaLagging
        # Reads the replica answered with a version older than the client had seen, repeated on the
        # primary: the replica lags the writes.
        expr: |
          sum(rate(journal_read_fallbacks_total{ {{- $sel -}} ,reason="replica_stale"}[5m]))
            / sum(rate(journal_http_requests_total{ {{- $sel -}} ,method="GET"}[5m])) > {{ $r.replicaLag.staleReadRatio }}
        for: {{ $r.replicaLag.for }}
        labels:
          severity: warning
          {{- toYaml $labels | nindent 10 }}
        annotations:
          summary: The Redis read replica lags the primary.
          description: "{{ "{{" }} $value | humanizePercentage {{ "}}" }} of reads found the replica behind the client's version and went to the primary."
{{- end }}
