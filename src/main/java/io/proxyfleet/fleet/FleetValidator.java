package io.proxyfleet.fleet;

import io.proxyfleet.api.Durations;
import io.proxyfleet.api.MtprotoSpec;
import io.proxyfleet.api.OnBlocked;
import io.proxyfleet.api.Placement;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.RotationPolicy;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.planner.RotationSettings;
import io.proxyfleet.status.SpecProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a fleet spec for everything the CRD schema says, and what it cannot say. The schema
 * rejects most of this at admission on a real API server; the operator checks again because specs
 * can come from places that skip the schema (an older CRD, the embedded API of local mode) and a
 * bad spec must end in a condition naming the field, never in a crash or a lost proxy.
 */
public final class FleetValidator {

  /** Proxy names are the fleet name plus a 6-character suffix and must fit a 63-character label. */
  public static final int MAX_FLEET_NAME = 57;

  private static final String DNS_NAME = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";
  private static final String INT_OR_PERCENT = "^[0-9]+%?$";

  /** The schema default of spec.launchTimeout. */
  static final String DEFAULT_LAUNCH_TIMEOUT = "10m";

  /** maxAge never goes below this, even with a shorter launchTimeout. */
  public static final Duration MIN_MAX_AGE = Duration.ofSeconds(1);

  public List<SpecProblem> validate(ProxyFleet fleet) {
    List<SpecProblem> problems = new ArrayList<>();
    String name = fleet.getMetadata().getName();
    if (name.length() > MAX_FLEET_NAME) {
      problems.add(
          new SpecProblem(
              "metadata.name",
              "is " + name.length() + " characters; use at most " + MAX_FLEET_NAME));
    }
    ProxyFleetSpec spec = fleet.getSpec();
    if (spec == null) {
      problems.add(new SpecProblem("spec", "is required"));
      return problems;
    }
    if (!spec.getUnreadableFields().isEmpty()) {
      // Only the values that could not be read: the defaults left in their place would be reported
      // as if the user had written them.
      spec.getUnreadableFields().forEach(u -> problems.add(new SpecProblem(u.path(), u.message())));
      return problems;
    }
    Integer replicas = spec.getReplicas();
    if (replicas == null) {
      problems.add(
          new SpecProblem(
              "spec.replicas",
              "is required; set the number of proxies (0 to " + ProxyFleetSpec.MAX_REPLICAS + ")"));
    } else if (replicas < 0) {
      problems.add(
          new SpecProblem(
              "spec.replicas", replicas + " is negative; set 0 to " + ProxyFleetSpec.MAX_REPLICAS));
    } else if (replicas > ProxyFleetSpec.MAX_REPLICAS) {
      problems.add(
          new SpecProblem(
              "spec.replicas",
              replicas
                  + " is above the limit of "
                  + ProxyFleetSpec.MAX_REPLICAS
                  + "; split the fleet or lower it"));
    }
    if (Protocol.fromWireName(spec.getProtocol()).isEmpty()) {
      problems.add(
          new SpecProblem(
              "spec.protocol",
              "'"
                  + spec.getProtocol()
                  + "' is not a protocol; use socks5, http, mtproto or shadowsocks"));
    }
    checkMtproto(problems, spec);
    if (spec.getPort() == null || spec.getPort() < 1 || spec.getPort() > 65535) {
      problems.add(
          new SpecProblem(
              "spec.port",
              spec.getPort() + " is outside 1-65535; pick a port such as 443 or 1080"));
    }
    checkDuration(problems, "spec.launchTimeout", spec.getLaunchTimeout(), false);
    checkRange(problems, "spec.maxRegionBlockedPercent", spec.getMaxRegionBlockedPercent(), 1, 100);
    if (spec.getCredentialsSecret() != null && !spec.getCredentialsSecret().matches(DNS_NAME)) {
      problems.add(
          new SpecProblem(
              "spec.credentialsSecret",
              "'" + spec.getCredentialsSecret() + "' is not a valid Secret name"));
    }
    List<Placement> placements = spec.getPlacement();
    if (placements == null || placements.isEmpty()) {
      problems.add(
          new SpecProblem(
              "spec.placement", "needs at least one entry naming a cloudProfile and its regions"));
    } else {
      for (int i = 0; i < placements.size(); i++) {
        Placement p = placements.get(i);
        String at = "spec.placement[" + i + "]";
        if (p.getCloudProfile() == null || !p.getCloudProfile().matches(DNS_NAME)) {
          problems.add(
              new SpecProblem(
                  at + ".cloudProfile",
                  "'" + p.getCloudProfile() + "' is not a CloudProfile name"));
        }
        if (p.getRegions() == null || p.getRegions().isEmpty()) {
          problems.add(
              new SpecProblem(
                  at + ".regions", "is empty; list at least one region of that profile"));
        } else {
          Set<String> seen = new HashSet<>();
          for (int r = 0; r < p.getRegions().size(); r++) {
            String region = p.getRegions().get(r);
            if (region == null || region.isBlank()) {
              problems.add(new SpecProblem(at + ".regions[" + r + "]", "is empty; name a region"));
            } else if (!seen.add(region)) {
              problems.add(
                  new SpecProblem(
                      at + ".regions[" + r + "]",
                      "'" + region + "' is listed twice; list each region once"));
            }
          }
        }
        if (p.getWeight() != null && (p.getWeight() < 1 || p.getWeight() > 1000)) {
          problems.add(new SpecProblem(at + ".weight", p.getWeight() + " is outside 1-1000"));
        }
      }
    }
    RotationPolicy rotation = spec.getRotation();
    if (rotation != null) {
      if (rotation.getOnBlocked() != null && !isOnBlocked(rotation.getOnBlocked())) {
        problems.add(
            new SpecProblem(
                "spec.rotation.onBlocked",
                "'" + rotation.getOnBlocked() + "' is not a policy; use ReassignIP or Replace"));
      }
      checkDuration(problems, "spec.rotation.maxAge", rotation.getMaxAge(), true);
      checkMaxAge(problems, rotation.getMaxAge(), spec.getLaunchTimeout());
      checkDuration(
          problems, "spec.rotation.burnedRegionCooldown", rotation.getBurnedRegionCooldown(), true);
      checkRange(
          problems,
          "spec.rotation.maxRotationsPerHour",
          rotation.getMaxRotationsPerHour(),
          1,
          100000);
      checkRange(problems, "spec.rotation.maxAddressDraws", rotation.getMaxAddressDraws(), 1, 100);
      boolean surgeOk =
          checkIntOrPercent(problems, "spec.rotation.maxSurge", rotation.getMaxSurge());
      boolean unavailableOk =
          checkIntOrPercent(problems, "spec.rotation.maxUnavailable", rotation.getMaxUnavailable());
      if (surgeOk
          && unavailableOk
          && rotation.getMaxAge() != null
          && replicas != null
          && replicas > 0) {
        int surge =
            RotationSettings.resolve(
                String.valueOf(rotation.getMaxSurge().getValue()), replicas, true);
        int unavailable =
            RotationSettings.resolve(
                String.valueOf(rotation.getMaxUnavailable().getValue()), replicas, false);
        if (surge == 0 && unavailable == 0) {
          problems.add(
              new SpecProblem(
                  "spec.rotation",
                  "maxSurge and maxUnavailable are both 0, so age rotation could never progress; allow a surge (e.g. maxSurge: 1)"));
        }
      }
    }
    List<String> lists = spec.getBlocklists();
    if (lists != null) {
      for (int i = 0; i < lists.size(); i++) {
        if (lists.get(i) == null || !lists.get(i).matches(DNS_NAME)) {
          problems.add(
              new SpecProblem(
                  "spec.blocklists[" + i + "]", "'" + lists.get(i) + "' is not a Blocklist name"));
        }
      }
    }
    return problems;
  }

  /**
   * The problem of an mtproto fleet without a FakeTLS domain, or null: no proxy can be launched
   * without one.
   */
  public static SpecProblem fakeTlsDomainMissing(ProxyFleetSpec spec) {
    boolean isMtproto = Protocol.MTPROTO.wireName().equals(spec.getProtocol());
    MtprotoSpec mtproto = spec.getMtproto();
    if (isMtproto && (mtproto == null || mtproto.getFakeTlsDomain() == null)) {
      return new SpecProblem(
          "spec.mtproto.fakeTlsDomain",
          "is required for mtproto fleets (FakeTLS); name a popular HTTPS site"
              + " reachable from the proxies, such as www.example.com");
    }
    return null;
  }

  private static void checkMtproto(List<SpecProblem> problems, ProxyFleetSpec spec) {
    MtprotoSpec mtproto = spec.getMtproto();
    boolean isMtproto = Protocol.MTPROTO.wireName().equals(spec.getProtocol());
    // A missing domain is not checked here but by the reconciler
    // (FleetReconciler#fakeTlsDomainMissing):
    // it only stops launches, so a provider that cannot run mtproto at all is still named first.
    if (mtproto == null) return;
    if (!isMtproto && Protocol.fromWireName(spec.getProtocol()).isPresent()) {
      problems.add(
          new SpecProblem(
              "spec.mtproto",
              "applies to mtproto fleets only; remove it or set spec.protocol: mtproto"));
    }
    if (mtproto.getFakeTlsDomain() != null
        && !FakeTlsSecret.validDomain(mtproto.getFakeTlsDomain())) {
      problems.add(
          new SpecProblem(
              "spec.mtproto.fakeTlsDomain",
              "'"
                  + mtproto.getFakeTlsDomain()
                  + "' is not a lowercase hostname of"
                  + " at most "
                  + MtprotoSpec.MAX_DOMAIN
                  + " characters (an IP address is not allowed: TLS SNI carries hostnames only)"));
    }
    String scope = mtproto.getSecretScope();
    if (scope != null && !scope.matches(MtprotoSpec.SCOPE_PATTERN)) {
      problems.add(
          new SpecProblem(
              "spec.mtproto.secretScope", "'" + scope + "' is not a scope; use fleet or proxy"));
    } else if (MtprotoSpec.SCOPE_PROXY.equals(scope)
        && spec.getCredentialsSecret() != null
        && !spec.getCredentialsSecret().isEmpty()) {
      problems.add(
          new SpecProblem(
              "spec.mtproto.secretScope",
              "proxy needs the generated credentials Secret (the operator adds one"
                  + " key per proxy); remove spec.credentialsSecret or use scope fleet"));
    }
  }

  static boolean isOnBlocked(String value) {
    for (OnBlocked o : OnBlocked.values()) {
      if (o.name().equals(value)) return true;
    }
    return false;
  }

  private static void checkDuration(
      List<SpecProblem> problems, String field, String value, boolean optional) {
    if (value == null || value.isEmpty()) {
      if (!optional) problems.add(new SpecProblem(field, "is required (Go duration such as 10m)"));
      return;
    }
    try {
      if (Durations.parse(value).isZero()) {
        problems.add(new SpecProblem(field, "must be longer than 0"));
      }
    } catch (IllegalArgumentException e) {
      problems.add(new SpecProblem(field, e.getMessage()));
    }
  }

  /**
   * maxAge below the launch timeout replaces proxies before a slow launch could even finish: 1ms
   * caused about 1,250 replacements in 30 s in local mode, a launch storm on a real cloud.
   */
  private static void checkMaxAge(List<SpecProblem> problems, String maxAge, String launchTimeout) {
    Duration age;
    Duration launch;
    try {
      if (maxAge == null || maxAge.isEmpty()) return;
      age = Durations.parse(maxAge);
      launch =
          Durations.parse(
              launchTimeout == null || launchTimeout.isEmpty()
                  ? DEFAULT_LAUNCH_TIMEOUT
                  : launchTimeout);
    } catch (IllegalArgumentException e) {
      return; // reported by checkDuration
    }
    Duration minimum = launch.compareTo(MIN_MAX_AGE) > 0 ? launch : MIN_MAX_AGE;
    if (!age.isZero() && age.compareTo(minimum) < 0) {
      problems.add(
          new SpecProblem(
              "spec.rotation.maxAge",
              maxAge
                  + " is shorter than spec.launchTimeout ("
                  + human(launch)
                  + "); a proxy would be replaced before its launch could time out. Use at least "
                  + human(minimum)));
    }
  }

  private static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) return ms + "ms";
    long sec = ms / 1000;
    return sec % 3600 == 0 ? sec / 3600 + "h" : sec % 60 == 0 ? sec / 60 + "m" : sec + "s";
  }

  private static void checkRange(
      List<SpecProblem> problems, String field, Integer value, int min, int max) {
    if (value != null && (value < min || value > max)) {
      problems.add(new SpecProblem(field, value + " is outside " + min + "-" + max));
    }
  }

  private static boolean checkIntOrPercent(
      List<SpecProblem> problems, String field, io.fabric8.kubernetes.api.model.IntOrString value) {
    if (value == null || value.getValue() == null) return true;
    String text = String.valueOf(value.getValue());
    if (!text.matches(INT_OR_PERCENT)) {
      problems.add(
          new SpecProblem(field, "'" + text + "' is neither a count nor a percentage such as 25%"));
      return false;
    }
    String digits = text.endsWith("%") ? text.substring(0, text.length() - 1) : text;
    // Digits only, so the length bounds the value before it is parsed (no overflow on any input).
    if (digits.length() > 7 || Long.parseLong(digits) > RotationPolicy.INT_OR_PERCENT_MAX) {
      problems.add(
          new SpecProblem(
              field,
              "'"
                  + text
                  + "' is above "
                  + RotationPolicy.INT_OR_PERCENT_MAX
                  + "; use a count or a percentage such as 25%"));
      return false;
    }
    return true;
  }
}
