package io.proxyfleet.ranges;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * Reads AWS {@code ip-ranges.json} and Google {@code cloud.json} (also {@code goog.json}, which has
 * neither service nor scope). Gzip is detected by its magic bytes. A record that cannot be read is
 * counted and skipped; content that is not such a file at all raises {@link
 * CloudRangeParseException}.
 */
public final class CloudRangeParser {

  private static final int MAX_REPORTED_ERRORS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private CloudRangeParser() {}

  /**
   * @param service whose prefixes make up the regions; null for the publisher's default
   * @throws IOException the stream failed (including a truncated gzip)
   * @throws CloudRangeParseException the content is not a range file of this publisher
   */
  public static CloudRanges parse(InputStream in, RangePublisher publisher, String service)
      throws IOException, CloudRangeParseException {
    String chosen = service == null ? publisher.defaultService() : service;
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    buffered.mark(2);
    int b0 = buffered.read();
    int b1 = buffered.read();
    buffered.reset();
    InputStream body = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buffered, 1 << 16) : buffered;
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new CloudRangeParseException(
          "not JSON"
              + where
              + " (an HTML error page or a truncated download?); expected "
              + fileName(publisher),
          e);
    }
    if (root == null || !root.isObject()) {
      throw new CloudRangeParseException(
          "empty or not a JSON object; expected " + fileName(publisher));
    }
    JsonNode prefixes = root.get("prefixes");
    if (prefixes == null || !prefixes.isArray()) {
      throw new CloudRangeParseException("no 'prefixes' array; expected " + fileName(publisher));
    }
    Accumulator acc = new Accumulator(chosen);
    if (publisher == RangePublisher.AWS) {
      readRecords(prefixes, "prefixes", "ip_prefix", "region", acc, false);
      JsonNode v6 = root.get("ipv6_prefixes");
      if (v6 != null && v6.isArray()) {
        readRecords(v6, "ipv6_prefixes", "ipv6_prefix", "region", acc, true);
      }
    } else {
      readGoogle(prefixes, acc);
    }
    if (prefixes.size() > 0 && acc.ipv4Records + acc.ipv6Records == 0) {
      String key = publisher == RangePublisher.AWS ? "ip_prefix" : "ipv4Prefix/ipv6Prefix";
      throw new CloudRangeParseException(
          "no record in 'prefixes' has '" + key + "'; is this really " + fileName(publisher) + "?");
    }
    Map<String, RegionRanges> regions = new TreeMap<>();
    acc.selected.forEach((region, ranges) -> regions.put(region, RegionRanges.of(region, ranges)));
    CloudRanges.Stats stats =
        new CloudRanges.Stats(
            acc.ipv4Records,
            acc.distinctV4.size(),
            acc.v4Regions.size(),
            acc.ipv6Records,
            acc.distinctV6.size(),
            Map.copyOf(new TreeMap<>(acc.services)),
            acc.selectedRecords,
            acc.withoutRegion,
            acc.bad,
            List.copyOf(acc.errors));
    return new CloudRanges(
        publisher,
        text(root, "syncToken"),
        text(root, publisher == RangePublisher.AWS ? "createDate" : "creationTime"),
        chosen,
        regions,
        stats);
  }

  private static void readRecords(
      JsonNode records,
      String array,
      String prefixKey,
      String regionKey,
      Accumulator acc,
      boolean v6) {
    for (int i = 0; i < records.size(); i++) {
      JsonNode r = records.get(i);
      String at = array + "[" + i + "]";
      String prefix = text(r, prefixKey);
      if (prefix == null) {
        acc.bad(at + ": no '" + prefixKey + "'");
        continue;
      }
      acc.add(at + "." + prefixKey, prefix, text(r, regionKey), text(r, "service"), v6);
    }
  }

  private static void readGoogle(JsonNode records, Accumulator acc) {
    for (int i = 0; i < records.size(); i++) {
      JsonNode r = records.get(i);
      String at = "prefixes[" + i + "]";
      String v4 = text(r, "ipv4Prefix");
      String v6 = text(r, "ipv6Prefix");
      if (v4 == null && v6 == null) {
        acc.bad(at + ": neither 'ipv4Prefix' nor 'ipv6Prefix'");
        continue;
      }
      boolean isV6 = v4 == null;
      acc.add(
          at + (isV6 ? ".ipv6Prefix" : ".ipv4Prefix"),
          isV6 ? v6 : v4,
          text(r, "scope"),
          text(r, "service"),
          isV6);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v == null || !v.isValueNode() || v.isNull() ? null : v.asText();
  }

  private static String fileName(RangePublisher publisher) {
    return publisher == RangePublisher.AWS
        ? "AWS ip-ranges.json ({\"prefixes\":[{\"ip_prefix\",\"region\",\"service\"}]})"
        : "Google cloud.json ({\"prefixes\":[{\"ipv4Prefix\",\"service\",\"scope\"}]})";
  }

  /** Running counts while reading one file. */
  private static final class Accumulator {
    final String service;
    int ipv4Records;
    int ipv6Records;
    int selectedRecords;
    int withoutRegion;
    int bad;
    final Set<String> distinctV4 = new HashSet<>();
    final Set<String> distinctV6 = new HashSet<>();
    final Set<String> v4Regions = new HashSet<>();
    final Map<String, Integer> services = new LinkedHashMap<>();
    final Map<String, List<IpRange>> selected = new TreeMap<>();
    final List<String> errors = new ArrayList<>();

    Accumulator(String service) {
      this.service = service;
    }

    void bad(String message) {
      bad++;
      if (errors.size() < MAX_REPORTED_ERRORS) {
        errors.add(message);
      }
    }

    void add(String at, String prefix, String region, String recordService, boolean v6) {
      IpRange range;
      try {
        range = IpAddresses.parseRange(prefix);
      } catch (IllegalArgumentException e) {
        bad(at + ": " + e.getMessage());
        return;
      }
      if (range.ipv6() != v6) {
        bad(
            at
                + ": '"
                + prefix
                + "' is an IPv"
                + (range.ipv6() ? "6" : "4")
                + " prefix in an IPv"
                + (v6 ? "6" : "4")
                + " field");
        return;
      }
      if (v6) {
        ipv6Records++;
        distinctV6.add(range.describe());
        return;
      }
      ipv4Records++;
      distinctV4.add(range.describe());
      if (recordService != null) {
        services.merge(recordService, 1, Integer::sum);
      }
      if (region == null || region.isBlank()) {
        withoutRegion++;
        return;
      }
      v4Regions.add(region);
      if (service.equals(recordService)) {
        selectedRecords++;
        selected.computeIfAbsent(region, k -> new ArrayList<>()).add(range);
      }
    }
  }
}
