package io.proxyfleet.chart;

import java.util.Map;

/** The value sets the chart is linted, rendered and dry-run with; each names what it exercises. */
public final class ChartValues {

  private ChartValues() {}

  public static final String DEFAULTS = "";

  public static final String TWO_REPLICAS_SPREAD =
      """
      replicaCount: 2
      clusterName: eks-prod
      serviceAccount:
        annotations:
          eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/proxyfleet
      image: {repository: registry.example.com/proxyfleet/operator, tag: "0.1.0", pullPolicy: Always}
      imagePullSecrets: [{name: registry-creds}]
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{key: dedicated, operator: Equal, value: operators, effect: NoSchedule}]
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 1
              preference: {matchExpressions: [{key: node-role, operator: In, values: [operators]}]}
      extraEnv: [{name: AWS_REGION, value: eu-central-1}]
      extraArgs: ["--reconcile-threads=8"]
      podAnnotations: {example.com/team: infra}
      """;

  public static final String SINGLE_REPLICA =
      """
      replicaCount: 1
      serviceAccount:
        annotations:
          iam.gke.io/gcp-service-account: proxyfleet@my-project.iam.gserviceaccount.com
      """;

  public static final String MONITORING =
      """
      metrics:
        serviceMonitor: {enabled: true, interval: 15s, labels: {release: kube-prometheus-stack}}
        prometheusRule: {enabled: true, labels: {release: kube-prometheus-stack}}
        grafanaDashboard: {enabled: true}
      """;

  public static final String NETWORK_POLICY =
      """
      networkPolicy:
        enabled: true
        metricsFrom:
          - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      """;

  public static final String NAMESPACED =
      """
      watchNamespaces: [team-a, team-b]
      clusterName: team-ab
      """;

  /** Every good value set by name, for lint and the server-side dry run. */
  public static final Map<String, String> GOOD =
      Map.of(
          "defaults", DEFAULTS,
          "two-replicas", TWO_REPLICAS_SPREAD,
          "single-replica", SINGLE_REPLICA,
          "monitoring", MONITORING,
          "network-policy", NETWORK_POLICY,
          "namespaced", NAMESPACED);
}
