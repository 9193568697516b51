{{- define "kbp-reaper.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kbp-reaper.serviceAccountName" -}}
{{- default (include "kbp-reaper.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The reaper's identity as the API server sees it: what the admission policy matches. */}}
{{- define "kbp-reaper.username" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "kbp-reaper.serviceAccountName" .) -}}
{{- end -}}

{{- define "kbp-reaper.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: reaper
{{- end -}}

{{- define "kbp-reaper.labels" -}}
{{ include "kbp-reaper.selectorLabels" . }}
app.kubernetes.io/part-of: kbp
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kbp-reaper.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}
