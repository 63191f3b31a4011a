{{/* The chart's name, or nameOverride. */}}
{{- define "pso.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Deployment's name: the release name when it already contains the chart's name, as usual. */}}
{{- define "pso.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "pso.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "pso.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
The prefix of the other objects' names: the full name without "-operator", so that the release
proxy-service-operator keeps the published names (proxy-service-account, proxy-service-role-cluster,
proxy-service-rolebinding-cluster) and other releases get their own.
*/}}
{{- define "pso.prefix" -}}
{{- include "pso.fullname" . | trimSuffix "-operator" | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "pso.serviceAccountName" -}}
{{- default (printf "%s-account" (include "pso.prefix" .)) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "pso.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace -}}
{{- end -}}

{{- define "pso.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "pso.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pso.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pso.labels" -}}
{{ include "pso.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: proxy-service-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}
