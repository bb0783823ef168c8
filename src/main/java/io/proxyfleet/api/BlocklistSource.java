package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/** One place a Blocklist reads entries from: an HTTP(S) URL or a ConfigMap key. */
@ValidationRule(
    value = "has(self.url) != has(self.configMap)",
    message = "set exactly one of url or configMap")
@ValidationRule(
    value = "!has(self.authSecret) || has(self.url)",
    message = "authSecret applies to url sources only")
public class BlocklistSource {
  public static final String DEFAULT_REFRESH_INTERVAL = "1h";
  public static final String DEFAULT_TIMEOUT = "30s";
  public static final String DEFAULT_MAX_BYTES = "256Mi";

  /** Content after decompression; the same as {@code ParseLimits.DEFAULT_MAX_BYTES}. */
  public static final String DEFAULT_MAX_CONTENT_BYTES = "512Mi";

  /** The same as {@code ParseLimits.DEFAULT_MAX_ENTRIES}. */
  public static final int DEFAULT_MAX_ENTRIES = 2_000_000;

  /** Beyond this a single source costs the operator more than 1 GB of heap while it is indexed. */
  public static final int MAX_MAX_ENTRIES = 30_000_000;

  public static final String FORMAT_PATTERN = "^(ip-list|zapret-csv)$";
  public static final String NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

  @Pattern(NAME_PATTERN)
  @JsonPropertyDescription(
      "Short name shown in status, conditions and events (e.g. antifilter-ipsum). Default: the URL's"
          + " host and path, or the ConfigMap's namespace/name[key].")
  private String name;

  @Pattern("^https?://[^/@\\s]+(/[^\\s]*)?$")
  @JsonPropertyDescription(
      "HTTP or HTTPS URL of the list, fetched with conditional GET (ETag / Last-Modified) every"
          + " refreshInterval. Put no credentials in the URL: use authSecret.")
  private String url;

  @JsonPropertyDescription(
      "Secret key whose value is sent as the Authorization header of url requests (e.g. 'Bearer"
          + " abc...'). Never logged or shown in status or events.")
  private ObjectKeyRef authSecret;

  @JsonPropertyDescription(
      "ConfigMap key holding the list. data[key] is read as UTF-8 text; binaryData[key] may be"
          + " gzip-compressed and is decoded with encoding. An edit is applied at once.")
  private ObjectKeyRef configMap;

  @Default("ip-list")
  @Pattern(FORMAT_PATTERN)
  @JsonPropertyDescription(
      "ip-list (one address or CIDR per line, # comments; antifilter, ip_all.lst) or zapret-csv (the"
          + " Roskomnadzor registry dump as republished by zapret-info).")
  private String format = "ip-list";

  @Pattern("^[A-Za-z0-9][-A-Za-z0-9_.:]*$")
  @JsonPropertyDescription(
      "Character set of the bytes, e.g. UTF-8 or windows-1251. Default: UTF-8 for ip-list,"
          + " windows-1251 for zapret-csv.")
  private String encoding;

  @Default(DEFAULT_REFRESH_INTERVAL)
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How often a url source is fetched (Go duration, at least 1m). Failed fetches are retried"
          + " sooner, backing off from 30s up to this interval.")
  private String refreshInterval = DEFAULT_REFRESH_INTERVAL;

  @Default(DEFAULT_TIMEOUT)
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "Limit for one fetch of a url source: connecting, the response headers and the whole body"
          + " (Go duration, 1s to 10m). Raise it for large lists on slow links.")
  private String timeout = DEFAULT_TIMEOUT;

  @Default(DEFAULT_MAX_BYTES)
  @JsonPropertyDescription(
      "Largest body accepted, as a quantity (e.g. 64Mi) or a byte count; counted on the wire, so"
          + " a gzip body counts compressed. A larger response is abandoned as soon as it passes"
          + " the limit and the last good version stays in force.")
  private Quantity maxBytes = new Quantity(DEFAULT_MAX_BYTES);

  @Default(DEFAULT_MAX_CONTENT_BYTES)
  @JsonPropertyDescription(
      "Largest content accepted after decompression (default 512Mi, at most 4Gi), enforced while"
          + " reading: a small gzip that expands to gigabytes is abandoned at the limit (Stale, reason"
          + " TooLarge) and the last good version stays in force.")
  private Quantity maxContentBytes = new Quantity(DEFAULT_MAX_CONTENT_BYTES);

  @Default("2000000")
  @Min(1)
  @Max(MAX_MAX_ENTRIES)
  @JsonPropertyDescription(
      "Most values this source may hold (default 2000000, at most 30000000), enforced while reading;"
          + " each costs the operator about 24 bytes of heap while the index is built.")
  private Integer maxEntries = DEFAULT_MAX_ENTRIES;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public ObjectKeyRef getAuthSecret() {
    return authSecret;
  }

  public void setAuthSecret(ObjectKeyRef authSecret) {
    this.authSecret = authSecret;
  }

  public ObjectKeyRef getConfigMap() {
    return configMap;
  }

  public void setConfigMap(ObjectKeyRef configMap) {
    this.configMap = configMap;
  }

  public String getFormat() {
    return format;
  }

  public void setFormat(String format) {
    this.format = format;
  }

  public String getEncoding() {
    return encoding;
  }

  public void setEncoding(String encoding) {
    this.encoding = encoding;
  }

  public String getRefreshInterval() {
    return refreshInterval;
  }

  public void setRefreshInterval(String refreshInterval) {
    this.refreshInterval = refreshInterval;
  }

  public String getTimeout() {
    return timeout;
  }

  public void setTimeout(String timeout) {
    this.timeout = timeout;
  }

  public Quantity getMaxContentBytes() {
    return maxContentBytes;
  }

  public void setMaxContentBytes(Quantity maxContentBytes) {
    this.maxContentBytes = maxContentBytes;
  }

  public Integer getMaxEntries() {
    return maxEntries;
  }

  public void setMaxEntries(Integer maxEntries) {
    this.maxEntries = maxEntries;
  }

  public Quantity getMaxBytes() {
    return maxBytes;
  }

  public void setMaxBytes(Quantity maxBytes) {
    this.maxBytes = maxBytes;
  }
}
