package io.proxyfleet.blocklist;

import io.fabric8.kubernetes.api.model.Quantity;
import io.proxyfleet.api.BlocklistGuardSpec;
import io.proxyfleet.api.BlocklistSource;
import io.proxyfleet.api.BlocklistSpec;
import io.proxyfleet.api.Durations;
import io.proxyfleet.api.ObjectKeyRef;
import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.ParseLimits;
import io.proxyfleet.status.SpecProblem;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a Blocklist spec for what the CRD schema says and what it cannot say (URL syntax, duration
 * bounds, known charsets, unique names), and resolves valid sources with their defaults. The schema
 * rejects most mistakes at admission on a real API server; this runs anyway because specs can skip
 * the schema (an older CRD, the embedded API of local mode) and a bad spec must end in a condition
 * naming the field, never in a crash.
 */
public final class BlocklistValidator {

  public static final Duration MIN_REFRESH = Duration.ofMinutes(1);
  public static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
  public static final long MAX_MAX_BYTES = 1L << 30;
  public static final long MAX_MAX_CONTENT_BYTES = 4L << 30;

  /** Valid sources and the problems found; sources with problems are not resolved. */
  public record Result(List<ResolvedSource> sources, List<SpecProblem> problems) {}

  public Result validate(BlocklistSpec spec) {
    List<SpecProblem> problems = new ArrayList<>();
    List<ResolvedSource> resolved = new ArrayList<>();
    if (spec == null) {
      return new Result(resolved, problems);
    }
    if (!spec.getUnreadableFields().isEmpty()) {
      // Only the values that could not be read; nothing is resolved, so the list stays frozen.
      spec.getUnreadableFields().forEach(u -> problems.add(new SpecProblem(u.path(), u.message())));
      return new Result(resolved, problems);
    }
    List<BlocklistSource> sources = spec.getSources() == null ? List.of() : spec.getSources();
    Set<String> names = new HashSet<>();
    Set<String> identities = new HashSet<>();
    for (int i = 0; i < sources.size(); i++) {
      String at = "spec.sources[" + i + "]";
      BlocklistSource s = sources.get(i);
      if (s == null) {
        problems.add(new SpecProblem(at, "is empty; set url or configMap"));
        continue;
      }
      int before = problems.size();
      Optional<ResolvedSource> r = resolve(s, at, problems);
      if (r.isPresent() && problems.size() == before) {
        if (!names.add(r.get().name())) {
          problems.add(
              new SpecProblem(
                  at + ".name",
                  "'"
                      + r.get().name()
                      + "' is used by another source; give each source its own name"));
        } else if (!identities.add(r.get().identity())) {
          problems.add(
              new SpecProblem(at, "reads the same place as another source; remove one of them"));
        } else {
          resolved.add(r.get());
        }
      }
    }
    checkGuard(spec.getGuard(), problems);
    if (spec.getMaxEntries() != null
        && (spec.getMaxEntries() < 1 || spec.getMaxEntries() > BlocklistSpec.MAX_MAX_ENTRIES)) {
      problems.add(
          new SpecProblem(
              "spec.maxEntries",
              spec.getMaxEntries() + " is outside 1-" + BlocklistSpec.MAX_MAX_ENTRIES));
    }
    return new Result(resolved, problems);
  }

  private Optional<ResolvedSource> resolve(
      BlocklistSource s, String at, List<SpecProblem> problems) {
    boolean hasUrl = s.getUrl() != null && !s.getUrl().isBlank();
    boolean hasMap = s.getConfigMap() != null;
    if (hasUrl == hasMap) {
      problems.add(
          new SpecProblem(
              at,
              hasUrl
                  ? "sets both url and configMap; keep exactly one"
                  : "sets neither url nor configMap; set exactly one"));
      return Optional.empty();
    }
    if (s.getName() != null && !s.getName().matches(BlocklistSource.NAME_PATTERN)) {
      problems.add(
          new SpecProblem(
              at + ".name",
              "'"
                  + s.getName()
                  + "' is not a name; use lowercase letters, digits and '-' (e.g. antifilter-ipsum)"));
    }
    Optional<BlocklistFormat> format =
        BlocklistFormat.fromWireName(Optional.ofNullable(s.getFormat()).orElse("ip-list"));
    if (format.isEmpty()) {
      problems.add(
          new SpecProblem(
              at + ".format",
              "'" + s.getFormat() + "' is not a format; use ip-list or zapret-csv"));
    }
    Charset charset = null;
    if (s.getEncoding() != null && !s.getEncoding().isBlank()) {
      try {
        charset = Charset.forName(s.getEncoding().strip());
      } catch (IllegalCharsetNameException | java.nio.charset.UnsupportedCharsetException e) {
        problems.add(
            new SpecProblem(
                at + ".encoding",
                "'"
                    + s.getEncoding()
                    + "' is not a known character set; use e.g. UTF-8 or windows-1251"));
      }
    }
    Duration refresh =
        duration(
            Optional.ofNullable(s.getRefreshInterval())
                .orElse(BlocklistSource.DEFAULT_REFRESH_INTERVAL),
            at + ".refreshInterval",
            MIN_REFRESH,
            null,
            problems);
    Duration timeout =
        duration(
            Optional.ofNullable(s.getTimeout()).orElse(BlocklistSource.DEFAULT_TIMEOUT),
            at + ".timeout",
            MIN_TIMEOUT,
            MAX_TIMEOUT,
            problems);
    long maxBytes = maxBytes(s.getMaxBytes(), at + ".maxBytes", problems);
    long maxContentBytes =
        size(
            s.getMaxContentBytes(),
            BlocklistSource.DEFAULT_MAX_CONTENT_BYTES,
            MAX_MAX_CONTENT_BYTES,
            "4Gi",
            at + ".maxContentBytes",
            problems);
    int maxEntries =
        Optional.ofNullable(s.getMaxEntries()).orElse(BlocklistSource.DEFAULT_MAX_ENTRIES);
    if (maxEntries < 1 || maxEntries > BlocklistSource.MAX_MAX_ENTRIES) {
      problems.add(
          new SpecProblem(
              at + ".maxEntries", maxEntries + " is outside 1-" + BlocklistSource.MAX_MAX_ENTRIES));
    }
    URI uri = null;
    String name;
    String location;
    if (hasUrl) {
      uri = url(s.getUrl().strip(), at + ".url", problems);
      if (s.getAuthSecret() != null) {
        checkRef(s.getAuthSecret(), at + ".authSecret", "Secret", problems);
      }
      name =
          s.getName() != null
              ? s.getName()
              : uri == null ? "" : uri.getHost() + Optional.ofNullable(uri.getRawPath()).orElse("");
      location = "url " + s.getUrl().strip() + " auth " + s.getAuthSecret();
    } else {
      if (s.getAuthSecret() != null) {
        problems.add(new SpecProblem(at + ".authSecret", "applies to url sources only; remove it"));
      }
      checkRef(s.getConfigMap(), at + ".configMap", "ConfigMap", problems);
      name = s.getName() != null ? s.getName() : s.getConfigMap().toString();
      location = "configMap " + s.getConfigMap();
    }
    if (format.isEmpty()
        || refresh == null
        || timeout == null
        || maxBytes < 0
        || maxContentBytes < 0
        || maxEntries < 1
        || maxEntries > BlocklistSource.MAX_MAX_ENTRIES
        || (hasUrl && uri == null)) {
      return Optional.empty();
    }
    String identity =
        location
            + " format "
            + format.get().wireName()
            + " encoding "
            + (charset == null ? "" : charset.name());
    return Optional.of(
        new ResolvedSource(
            name,
            at,
            identity,
            uri,
            s.getAuthSecret(),
            hasMap ? s.getConfigMap() : null,
            format.get(),
            charset,
            refresh,
            timeout,
            maxBytes,
            new ParseLimits(maxContentBytes, maxEntries)));
  }

  private static URI url(String text, String field, List<SpecProblem> problems) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      problems.add(
          new SpecProblem(
              field,
              "is not a URL ("
                  + e.getReason()
                  + "); write it like https://antifilter.download/list/ipsum.lst"));
      return null;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      problems.add(
          new SpecProblem(field, "scheme '" + scheme + "' is not supported; use http or https"));
      return null;
    }
    if (uri.getRawUserInfo() != null) {
      // Never echo the URL here: the user part is a credential.
      problems.add(
          new SpecProblem(
              field,
              "contains credentials; remove them from the URL and put the Authorization header value in a Secret named by authSecret"));
      return null;
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      problems.add(
          new SpecProblem(
              field, "has no host; write it like https://antifilter.download/list/ipsum.lst"));
      return null;
    }
    return uri;
  }

  private static void checkRef(
      ObjectKeyRef ref, String field, String kind, List<SpecProblem> problems) {
    if (ref.getNamespace() == null || !ref.getNamespace().matches(ObjectKeyRef.NAME_PATTERN)) {
      problems.add(
          new SpecProblem(
              field + ".namespace",
              "'"
                  + ref.getNamespace()
                  + "' is not a namespace; name the "
                  + kind
                  + "'s namespace (a Blocklist is cluster-scoped)"));
    }
    if (ref.getName() == null || !ref.getName().matches(ObjectKeyRef.NAME_PATTERN)) {
      problems.add(
          new SpecProblem(field + ".name", "'" + ref.getName() + "' is not a " + kind + " name"));
    }
    if (ref.getKey() == null || !ref.getKey().matches(ObjectKeyRef.KEY_PATTERN)) {
      problems.add(
          new SpecProblem(
              field + ".key",
              "'" + ref.getKey() + "' is not a key; name the " + kind + " key to read"));
    }
  }

  private static Duration duration(
      String text, String field, Duration min, Duration max, List<SpecProblem> problems) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      problems.add(new SpecProblem(field, e.getMessage()));
      return null;
    }
    if (d.compareTo(min) < 0) {
      problems.add(
          new SpecProblem(
              field, text + " is shorter than the minimum " + human(min) + "; raise it"));
      return null;
    }
    if (max != null && d.compareTo(max) > 0) {
      problems.add(
          new SpecProblem(
              field, text + " is longer than the maximum " + human(max) + "; lower it"));
      return null;
    }
    return d;
  }

  private static long size(
      Quantity q,
      String fallback,
      long max,
      String maxText,
      String field,
      List<SpecProblem> problems) {
    BigDecimal bytes;
    try {
      bytes =
          Quantity.getAmountInBytes(
              q == null || q.getAmount() == null ? new Quantity(fallback) : q);
    } catch (IllegalArgumentException | ArithmeticException e) {
      problems.add(
          new SpecProblem(field, "'" + q + "' is not a size; write it like 64Mi or 1000000"));
      return -1;
    }
    if (bytes.signum() <= 0 || bytes.compareTo(BigDecimal.valueOf(max)) > 0) {
      problems.add(new SpecProblem(field, "'" + q + "' is outside 1 byte to " + maxText));
      return -1;
    }
    return bytes.longValue();
  }

  private static long maxBytes(Quantity q, String field, List<SpecProblem> problems) {
    if (q == null || q.getAmount() == null) {
      return Quantity.getAmountInBytes(new Quantity(BlocklistSource.DEFAULT_MAX_BYTES))
          .longValueExact();
    }
    BigDecimal bytes;
    try {
      bytes = Quantity.getAmountInBytes(q);
    } catch (IllegalArgumentException | ArithmeticException e) {
      problems.add(
          new SpecProblem(field, "'" + q + "' is not a size; write it like 64Mi or 1000000"));
      return -1;
    }
    if (bytes.signum() <= 0 || bytes.compareTo(BigDecimal.valueOf(MAX_MAX_BYTES)) > 0) {
      problems.add(
          new SpecProblem(
              field, "'" + q + "' is outside 1 byte to 1Gi; pick a size such as 256Mi"));
      return -1;
    }
    return bytes.longValue();
  }

  private static void checkGuard(BlocklistGuardSpec guard, List<SpecProblem> problems) {
    if (guard == null) {
      return;
    }
    if (guard.getMinIpv4Prefix() != null
        && (guard.getMinIpv4Prefix() < 0 || guard.getMinIpv4Prefix() > 32)) {
      problems.add(
          new SpecProblem(
              "spec.guard.minIpv4Prefix",
              guard.getMinIpv4Prefix() + " is outside 0-32; use e.g. 8 (0 turns the check off)"));
    }
    if (guard.getMaxNewIpv4Addresses() != null
        && (guard.getMaxNewIpv4Addresses() < 0
            || guard.getMaxNewIpv4Addresses() > BlocklistGuardSpec.MAX_IPV4_ADDRESSES)) {
      problems.add(
          new SpecProblem(
              "spec.guard.maxNewIpv4Addresses",
              guard.getMaxNewIpv4Addresses()
                  + " is outside 0-"
                  + BlocklistGuardSpec.MAX_IPV4_ADDRESSES
                  + "; use a count such as 33554432"));
    }
    if (guard.getMaxGrowthFactor() != null
        && (guard.getMaxGrowthFactor() < 1
            || guard.getMaxGrowthFactor() > BlocklistGuardSpec.MAX_GROWTH_FACTOR)) {
      problems.add(
          new SpecProblem(
              "spec.guard.maxGrowthFactor",
              guard.getMaxGrowthFactor()
                  + " is outside 1-"
                  + BlocklistGuardSpec.MAX_GROWTH_FACTOR
                  + "; use e.g. 10"));
    }
    if (guard.getGrowthFloor() != null
        && (guard.getGrowthFloor() < 0
            || guard.getGrowthFloor() > BlocklistGuardSpec.MAX_IPV4_ADDRESSES)) {
      problems.add(
          new SpecProblem(
              "spec.guard.growthFloor",
              guard.getGrowthFloor()
                  + " is outside 0-"
                  + BlocklistGuardSpec.MAX_IPV4_ADDRESSES
                  + "; use a count such as 4194304"));
    }
  }

  private static String human(Duration d) {
    return d.toSeconds() % 60 == 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
  }
}
