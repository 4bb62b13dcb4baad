{{/* Names, labels and the pieces every workload shares. */}}

{{- define "propos4l.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "propos4l.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "propos4l.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "propos4l.image" -}}
{{- $image := .root.Values.image -}}
{{ printf "%s%s/%s:%s" $image.registry $image.prefix .image $image.tag | quote }}
{{- end -}}

{{- define "propos4l.secretName" -}}
{{- default (printf "%s-secrets" (include "propos4l.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* An environment variable from the chart's Secret: (dict "root" $ "name" "DATABASE_URL" "optional" false) */}}
{{- define "propos4l.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "propos4l.secretName" .root }}
      key: {{ .name }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{- define "propos4l.storageSecretEnv" -}}
{{ include "propos4l.secretEnv" (dict "root" . "name" "AWS_ACCESS_KEY_ID" "optional" true) }}
{{ include "propos4l.secretEnv" (dict "root" . "name" "AWS_SECRET_ACCESS_KEY" "optional" true) }}
{{- end -}}

{{- define "propos4l.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "propos4l.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- end -}}

{{/* /health (liveness) and /ready (readiness) of a worker's HEALTH_PORT (shared.health). */}}
{{- define "propos4l.workerProbes" -}}
ports:
  - name: health
    containerPort: 8080
livenessProbe:
  httpGet: {path: /health, port: health}
  periodSeconds: 15
  timeoutSeconds: 5
  failureThreshold: 4
readinessProbe:
  httpGet: {path: /ready, port: health}
  periodSeconds: 15
  timeoutSeconds: 5
  failureThreshold: 3
startupProbe:
  httpGet: {path: /health, port: health}
  periodSeconds: 5
  failureThreshold: 24
{{- end -}}
