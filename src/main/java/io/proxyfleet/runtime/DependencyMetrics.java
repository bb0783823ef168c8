package io.proxyfleet.runtime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistSourceStatus;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileStatus;
import io.proxyfleet.blocklist.BlocklistValidator;
import io.proxyfleet.blocklist.ResolvedSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What fleets depend on, as the API objects say: whether each CloudProfile's credentials work, and
 * how fresh each Blocklist URL source is. Read at scrape time like {@link FleetMetrics}, with
 * bounded labels (namespace, profile, provider, state; blocklist, source).
 */
public final class DependencyMetrics implements MultiCollector, AutoCloseable {

  static final String CREDENTIALS = "proxyfleet_cloudprofile_credentials";
  static final String LAST_SUCCESS = "proxyfleet_blocklist_source_last_success_timestamp_seconds";
  static final String REFRESH = "proxyfleet_blocklist_source_refresh_interval_seconds";
  static final String HELD = "proxyfleet_blocklist_update_held";
  static final String ENTRIES = "proxyfleet_blocklist_entries";
  private static final List<String> STATES =
      List.of(
          CloudProfileStatus.CREDENTIALS_VALID,
          CloudProfileStatus.CREDENTIALS_INVALID,
          CloudProfileStatus.CREDENTIALS_UNKNOWN);

  private final List<SharedIndexInformer<CloudProfile>> profiles;
  private final SharedIndexInformer<Blocklist> blocklists;

  private DependencyMetrics(
      List<SharedIndexInformer<CloudProfile>> profiles, SharedIndexInformer<Blocklist> blocklists) {
    this.profiles = profiles;
    this.blocklists = blocklists;
  }

  /**
   * Watches profiles in {@code namespaces} (empty: all) and every Blocklist; never waits for them
   * (see {@link FleetMetrics}).
   */
  public static DependencyMetrics start(
      KubernetesClient client, PrometheusRegistry registry, Set<String> namespaces) {
    List<SharedIndexInformer<CloudProfile>> profiles = new ArrayList<>();
    if (namespaces.isEmpty()) {
      profiles.add(client.resources(CloudProfile.class).inAnyNamespace().runnableInformer(0));
    } else {
      for (String namespace : new TreeSet<>(namespaces)) {
        profiles.add(
            client.resources(CloudProfile.class).inNamespace(namespace).runnableInformer(0));
      }
    }
    SharedIndexInformer<Blocklist> blocklists =
        client.resources(Blocklist.class).runnableInformer(0);
    for (SharedIndexInformer<?> informer : concat(profiles, blocklists)) {
      informer.exceptionHandler((started, t) -> true);
      informer.start();
    }
    DependencyMetrics metrics = new DependencyMetrics(profiles, blocklists);
    registry.register(metrics);
    return metrics;
  }

  private static List<SharedIndexInformer<?>> concat(
      List<SharedIndexInformer<CloudProfile>> profiles, SharedIndexInformer<Blocklist> blocklists) {
    List<SharedIndexInformer<?>> all = new ArrayList<>(profiles);
    all.add(blocklists);
    return all;
  }

  @Override
  public MetricSnapshots collect() {
    return snapshot(
        profiles.stream().flatMap(i -> i.getStore().list().stream()).toList(),
        blocklists.getStore().list());
  }

  static MetricSnapshots snapshot(
      Collection<CloudProfile> profiles, Collection<Blocklist> blocklists) {
    // One series per state, 1 for the current one: an alert on state="Invalid" sees 0, not nothing,
    // while the credentials work.
    GaugeSnapshot.Builder credentials =
        GaugeSnapshot.builder()
            .name(CREDENTIALS)
            .help(
                "1 for the state of each CloudProfile's credentials (status.credentials: Valid, Invalid, Unknown), 0 for the others.");
    for (CloudProfile profile : profiles) {
      String state =
          profile.getStatus() == null || profile.getStatus().getCredentials() == null
              ? CloudProfileStatus.CREDENTIALS_UNKNOWN
              : profile.getStatus().getCredentials();
      String provider =
          profile.getSpec() == null || profile.getSpec().getProvider() == null
              ? ""
              : profile.getSpec().getProvider();
      Labels labels =
          Labels.of(
              "namespace",
              profile.getMetadata().getNamespace(),
              "profile",
              profile.getMetadata().getName(),
              "provider",
              provider);
      for (String s : STATES) {
        credentials.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(labels.add("state", s))
                .value(s.equals(state) ? 1 : 0)
                .build());
      }
    }
    GaugeSnapshot.Builder lastSuccess =
        GaugeSnapshot.builder()
            .name(LAST_SUCCESS)
            .help(
                "When each Blocklist URL source was last read successfully (status.sources[].lastSuccessTime), Unix seconds.");
    GaugeSnapshot.Builder refresh =
        GaugeSnapshot.builder()
            .name(REFRESH)
            .help("How often each Blocklist URL source is read (spec refreshInterval), seconds.");
    GaugeSnapshot.Builder held =
        GaugeSnapshot.builder()
            .name(HELD)
            .help(
                "1 while the feed sanity guard holds an update of the Blocklist back (status.held; accept it with the proxyfleet.io/accept-update annotation), else 0.");
    GaugeSnapshot.Builder entries =
        GaugeSnapshot.builder()
            .name(ENTRIES)
            .help("Entries of the Blocklist version in force (status.entries).");
    BlocklistValidator validator = new BlocklistValidator();
    for (Blocklist blocklist : blocklists) {
      Labels list = Labels.of("blocklist", blocklist.getMetadata().getName());
      held.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(list)
              .value(
                  blocklist.getStatus() != null && blocklist.getStatus().getHeld() != null ? 1 : 0)
              .build());
      if (blocklist.getStatus() != null && blocklist.getStatus().getEntries() != null) {
        entries.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(list)
                .value(blocklist.getStatus().getEntries())
                .build());
      }
      if (blocklist.getSpec() == null) continue;
      // The reconciler names sources the same way (explicit name, else host and path), so status
      // entries are matched to their spec through the validator, not by position.
      Map<String, ResolvedSource> urlSources =
          validator.validate(blocklist.getSpec()).sources().stream()
              .filter(ResolvedSource::isUrl)
              .collect(Collectors.toMap(ResolvedSource::name, Function.identity(), (a, b) -> a));
      List<BlocklistSourceStatus> statuses =
          blocklist.getStatus() == null || blocklist.getStatus().getSources() == null
              ? List.of()
              : blocklist.getStatus().getSources();
      for (ResolvedSource source : urlSources.values()) {
        Labels labels =
            Labels.of("blocklist", blocklist.getMetadata().getName(), "source", source.name());
        refresh.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(labels)
                .value(source.refreshInterval().toSeconds())
                .build());
        statuses.stream()
            .filter(st -> source.name().equals(st.getName()) && st.getLastSuccessTime() != null)
            .findFirst()
            .flatMap(st -> epochSeconds(st.getLastSuccessTime()))
            .ifPresent(
                t ->
                    lastSuccess.dataPoint(
                        GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(labels)
                            .value(t)
                            .build()));
      }
    }
    return MetricSnapshots.of(
        credentials.build(), lastSuccess.build(), refresh.build(), held.build(), entries.build());
  }

  private static java.util.Optional<Double> epochSeconds(String timestamp) {
    return io.proxyfleet.api.Timestamps.parse(timestamp).map(t -> t.toEpochMilli() / 1000.0);
  }

  @Override
  public void close() {
    concat(profiles, blocklists).forEach(SharedIndexInformer::stop);
  }
}
