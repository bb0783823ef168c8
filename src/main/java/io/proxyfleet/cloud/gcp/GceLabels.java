package io.proxyfleet.cloud.gcp;

import io.proxyfleet.cloud.OwnerTags;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Owner tags written as GCE labels. Label keys and values allow only lowercase letters, digits, '_'
 * and '-' (at most 63 characters, keys start with a letter), so {@code proxyfleet.io/proxy} becomes
 * {@code proxyfleet-proxy}; values are lowercased and other characters become '_'; a value that
 * would be longer than 63 characters keeps its first 54 and a hash of the whole, so two long names
 * never collide into one label.
 */
final class GceLabels {

  static final String CLUSTER = "proxyfleet-cluster";
  static final String FLEET = "proxyfleet-fleet";
  static final String PROXY = "proxyfleet-proxy";
  static final String NAME = "proxyfleet-name";

  /** On managed firewall rules' descriptions and instance network tags: the port a rule opens. */
  static final String PORT = "proxyfleet-port";

  private GceLabels() {}

  static Map<String, String> owner(OwnerTags owner) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(CLUSTER, value(owner.cluster()));
    labels.put(FLEET, value(owner.fleetNamespace() + "_" + owner.fleet()));
    labels.put(PROXY, value(owner.proxyUid()));
    labels.put(NAME, value(owner.proxyName()));
    return labels;
  }

  /**
   * Labels read back as the tags reconcilers know; {@code cluster} is the name the caller filtered
   * on.
   */
  static Map<String, String> tags(Map<String, String> labels, String cluster) {
    Map<String, String> tags = new LinkedHashMap<>(labels);
    if (labels.containsKey(CLUSTER)) {
      tags.put(OwnerTags.CLUSTER, cluster);
    }
    if (labels.containsKey(PROXY)) {
      tags.put(OwnerTags.PROXY, labels.get(PROXY));
    }
    if (labels.containsKey(FLEET)) {
      tags.put(OwnerTags.FLEET, labels.get(FLEET));
    }
    if (labels.containsKey(NAME)) {
      tags.put(OwnerTags.NAME, labels.get(NAME));
    }
    return tags;
  }

  /** A label value under GCE's rules (lowercase letters, digits, '_' and '-', at most 63). */
  static String value(String raw) {
    if (raw == null) {
      return "";
    }
    String v = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
    return v.length() <= 63 ? v : v.substring(0, 54) + "-" + hash(raw);
  }

  /** A label key under GCE's rules, or null when nothing usable remains. */
  static String key(String raw) {
    String k = value(raw);
    if (k.isEmpty() || !Character.isLetter(k.charAt(0))) {
      k = "x" + k;
    }
    return k.length() <= 63 ? k : k.substring(0, 63);
  }

  /** The profile's extra tags as labels, minus any that would shadow an owner label. */
  static Map<String, String> extra(Map<String, String> tags) {
    Map<String, String> out = new LinkedHashMap<>();
    if (tags != null) {
      tags.forEach(
          (k, v) -> {
            if (k == null
                || v == null
                || k.startsWith("proxyfleet.io/")
                || k.equals(OwnerTags.NAME)) {
              return;
            }
            String key = key(k);
            if (!key.startsWith("proxyfleet-") && out.size() < 60) {
              out.put(key, value(v));
            }
          });
    }
    return out;
  }

  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
