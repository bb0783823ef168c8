package io.proxyfleet.blocklist;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.proxyfleet.api.ObjectKeyRef;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistParseException;
import io.proxyfleet.block.format.BlocklistParser;
import io.proxyfleet.block.format.ParseLimitException;
import io.proxyfleet.block.format.ParseLimits;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

/**
 * Brings one source's state up to date: fetches a URL source when it is due (conditional GET,
 * backoff after failures), re-reads a ConfigMap source when its bytes changed. Failures are
 * recorded in the state; the last good version is never dropped.
 */
final class SourceReader {

  private final HttpSourceFetcher fetcher;
  private final Clock clock;

  SourceReader(HttpSourceFetcher fetcher, Clock clock) {
    this.fetcher = fetcher;
    this.clock = clock;
  }

  /** Fetches if due (or {@code force}); returns whether anything was attempted. */
  boolean refreshUrl(
      ResolvedSource source,
      SourceState state,
      boolean force,
      Function<ObjectKeyRef, Optional<Secret>> secrets) {
    return refreshUrl(source, source.limits(), state, force, secrets);
  }

  /**
   * Fetches if due (or {@code force}) within {@code limits} (the source's own, or less when the
   * list is near its total); returns whether anything was attempted.
   */
  boolean refreshUrl(
      ResolvedSource source,
      ParseLimits limits,
      SourceState state,
      boolean force,
      Function<ObjectKeyRef, Optional<Secret>> secrets) {
    Instant now = clock.instant();
    if (!force && state.nextFetch != null && now.isBefore(state.nextFetch)) {
      return false;
    }
    state.lastFetch = now;
    FetchResult result;
    Optional<String> authorization = Optional.empty();
    SourceFailure authProblem = null;
    if (source.authSecret() != null) {
      Optional<Secret> secret = secrets.apply(source.authSecret());
      ObjectKeyRef ref = source.authSecret();
      String where = source.field() + ".authSecret";
      if (secret.isEmpty()) {
        authProblem =
            new SourceFailure(
                FailureReason.FETCH_FAILED,
                "source "
                    + source.name()
                    + ": Secret "
                    + ref.getNamespace()
                    + "/"
                    + ref.getName()
                    + " not found, request not sent; create it or fix "
                    + where
                    + " (an authSecret outside the operator's"
                    + " namespace must carry the label "
                    + SourceAccess.AUTH_SECRET_LABEL
                    + "=true)");
      } else {
        Optional<String> value =
            Optional.ofNullable(secret.get().getData())
                .map(d -> d.get(ref.getKey()))
                .map(
                    v ->
                        new String(Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8)
                            .strip());
        if (value.isEmpty() || value.get().isEmpty()) {
          authProblem =
              new SourceFailure(
                  FailureReason.FETCH_FAILED,
                  "source "
                      + source.name()
                      + ": Secret "
                      + ref.getNamespace()
                      + "/"
                      + ref.getName()
                      + " has no non-empty key '"
                      + ref.getKey()
                      + "', request not sent; fix "
                      + where);
        } else if (value.get().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
          authProblem =
              new SourceFailure(
                  FailureReason.FETCH_FAILED,
                  "source "
                      + source.name()
                      + ": the value of Secret "
                      + ref.getNamespace()
                      + "/"
                      + ref.getName()
                      + " key '"
                      + ref.getKey()
                      + "' contains line breaks or control characters, request not sent; store the header value on one line");
        } else {
          authorization = value;
        }
      }
    }
    if (authProblem != null) {
      result = new FetchResult.Failed(authProblem);
    } else {
      try {
        result =
            fetcher.fetch(
                new FetchRequest(
                    source.name(),
                    source.field(),
                    source.url(),
                    authorization,
                    state.etag,
                    state.lastModified,
                    state.good != null,
                    source.timeout(),
                    source.maxBytes(),
                    source.format(),
                    source.charset(),
                    limits));
      } catch (OutOfMemoryError | StackOverflowError e) {
        // Contained: the half-built index is garbage once this frame unwinds, and the source must
        // keep its schedule (an escaping Error left it never fetched again and the list without
        // status).
        result = new FetchResult.Failed(outOfResources(source, e));
      }
    }
    Instant done = clock.instant();
    if (result instanceof FetchResult.NotModified) {
      state.succeeded(done);
    } else if (result instanceof FetchResult.Fetched f) {
      state.accept(f.parsed(), done);
      state.etag = f.etag();
      state.lastModified = f.lastModified();
    } else if (result instanceof FetchResult.Failed f) {
      state.failed(f.failure());
    }
    state.nextFetch =
        state.failure == null
            ? RefreshSchedule.afterSuccess(done, source.refreshInterval())
            : RefreshSchedule.afterFailure(
                done, state.consecutiveFailures, source.refreshInterval());
    return true;
  }

  /** Re-reads a ConfigMap source if its bytes changed since the last read. */
  void readConfigMap(ResolvedSource source, SourceState state, Optional<ConfigMap> configMap) {
    readConfigMap(source, source.limits(), state, configMap);
  }

  /** Like {@link #readConfigMap(ResolvedSource, SourceState, Optional)} within {@code limits}. */
  void readConfigMap(
      ResolvedSource source, ParseLimits limits, SourceState state, Optional<ConfigMap> configMap) {
    ObjectKeyRef ref = source.configMap();
    String where = source.field() + ".configMap";
    String key = ref.getKey();
    byte[] bytes = null;
    Charset charset = source.charset();
    SourceFailure missing = null;
    if (configMap.isEmpty()) {
      missing =
          new SourceFailure(
              FailureReason.NOT_FOUND,
              "source "
                  + source.name()
                  + ": ConfigMap "
                  + ref.getNamespace()
                  + "/"
                  + ref.getName()
                  + " not found; create it or fix "
                  + where);
    } else if (configMap.get().getData() != null && configMap.get().getData().containsKey(key)) {
      String text = configMap.get().getData().get(key);
      bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
      // data values are Unicode text already: the bytes handed to the parser are UTF-8.
      charset = StandardCharsets.UTF_8;
    } else if (configMap.get().getBinaryData() != null
        && configMap.get().getBinaryData().containsKey(key)) {
      try {
        bytes =
            Base64.getMimeDecoder()
                .decode(Optional.ofNullable(configMap.get().getBinaryData().get(key)).orElse(""));
      } catch (IllegalArgumentException e) {
        missing =
            new SourceFailure(
                FailureReason.PARSE_FAILED,
                "source " + source.name() + ": binaryData['" + key + "'] is not base64");
      }
    } else {
      missing =
          new SourceFailure(
              FailureReason.NOT_FOUND,
              "source "
                  + source.name()
                  + ": ConfigMap "
                  + ref.getNamespace()
                  + "/"
                  + ref.getName()
                  + " has no key '"
                  + key
                  + "' in data or binaryData; add it or fix "
                  + where
                  + ".key");
    }
    Instant now = clock.instant();
    if (missing != null) {
      if (!missing.equals(state.failure)) {
        state.lastFetch = now;
        state.failed(missing);
      }
      state.readFingerprint = null;
      return;
    }
    String fingerprint = digest(bytes) + "|" + charset;
    if (fingerprint.equals(state.readFingerprint)) {
      return;
    }
    state.readFingerprint = fingerprint;
    state.lastFetch = now;
    if (bytes.length > source.maxBytes()) {
      state.failed(
          new SourceFailure(
              FailureReason.TOO_LARGE,
              "source "
                  + source.name()
                  + ": "
                  + bytes.length
                  + " bytes is larger than maxBytes="
                  + source.maxBytes()
                  + "; raise "
                  + source.field()
                  + ".maxBytes"));
      return;
    }
    try {
      ParsedBlocklist parsed =
          BlocklistParser.parse(
              new ByteArrayInputStream(bytes), source.format(), charset, null, limits);
      Optional<String> insane = ParseSanity.problem(parsed);
      if (insane.isPresent()) {
        state.failed(
            new SourceFailure(
                FailureReason.PARSE_FAILED,
                "source "
                    + source.name()
                    + ": "
                    + insane.get()
                    + "; check "
                    + source.field()
                    + ".format and "
                    + source.field()
                    + ".encoding"));
        return;
      }
      state.accept(parsed, now);
    } catch (IOException e) {
      state.failed(
          new SourceFailure(
              FailureReason.PARSE_FAILED,
              "source "
                  + source.name()
                  + ": the content cannot be read ("
                  + e.getClass().getSimpleName()
                  + (e.getMessage() == null ? "" : ": " + e.getMessage())
                  + "); check that it is complete"));
    } catch (ParseLimitException e) {
      state.failed(
          new SourceFailure(
              FailureReason.TOO_LARGE,
              "source "
                  + source.name()
                  + ": "
                  + e.getMessage()
                  + "; raise "
                  + source.field()
                  + ".maxEntries, "
                  + source.field()
                  + ".maxContentBytes or spec.maxEntries, or shorten the list"));
    } catch (OutOfMemoryError | StackOverflowError e) {
      state.failed(outOfResources(source, e));
    } catch (BlocklistParseException e) {
      state.failed(
          new SourceFailure(
              FailureReason.PARSE_FAILED,
              "source "
                  + source.name()
                  + ": "
                  + e.messageWithoutContent()
                  + "; check "
                  + source.field()
                  + ".format and "
                  + source.field()
                  + ".encoding"));
    }
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static SourceFailure outOfResources(ResolvedSource source, Error e) {
    return new SourceFailure(
        FailureReason.TOO_LARGE,
        "source "
            + source.name()
            + ": building its index failed ("
            + e.getClass().getSimpleName()
            + "); lower "
            + source.field()
            + ".maxEntries or give the operator more memory");
  }
}
