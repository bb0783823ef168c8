{{/* Name prefix of every object: <release>-operator, so release "proxyfleet" gives the names of operator/rbac.yaml. */}}
{{- define "proxyfleet.fullname" -}}
{{- default (printf "%s-operator" .Release.Name) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "proxyfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "proxyfleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "proxyfleet.selectorLabels" -}}
app.kubernetes.io/name: proxyfleet
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "proxyfleet.labels" -}}
{{ include "proxyfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "proxyfleet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
