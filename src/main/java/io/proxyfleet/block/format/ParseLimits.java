package io.proxyfleet.block.format;

/**
 * How much one parse may read, enforced while streaming so that memory stays bounded whatever the
 * input: a 3 MB gzip of "1.2.3.4\n" expands to 2 GB and 268 M entries, which the index builder
 * would try to hold (8 bytes each, more while sorting) before anything could look at the size.
 *
 * @param maxBytes bytes of content after decompression (a plain input counts as it is)
 * @param maxEntries valid values added to the index
 */
public record ParseLimits(long maxBytes, int maxEntries) {

  /** 512 MiB: five times the largest real registry dump (dump.csv, about 100 MB). */
  public static final long DEFAULT_MAX_BYTES = 512L << 20;

  /**
   * 2,000,000 values: ten times the IPv4 values of the 2025 registry (169,581) and above the
   * biggest antifilter list; 16 MB while reading, about 48 MB while the index is sorted and merged.
   */
  public static final int DEFAULT_MAX_ENTRIES = 2_000_000;

  public static final ParseLimits DEFAULT = new ParseLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES);

  public ParseLimits {
    if (maxBytes < 0 || maxEntries < 0) {
      throw new IllegalArgumentException("limits must not be negative");
    }
  }
}
