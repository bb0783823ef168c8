package io.proxyfleet.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.Charset;
import java.util.Map;
import java.util.TreeMap;

/**
 * The blocklist a reasonable developer writes first, kept only as the benchmark's baseline: {@code
 * BufferedReader}, {@code String.split}, {@code InetAddress} parsing, and ranges in a {@code
 * TreeMap} looked up with {@code floorEntry}, merged once after loading so that a single address
 * listed inside a CIDR does not hide the CIDR. The benchmark checks that both answer the same.
 */
final class NaiveBlocklist {

  private TreeMap<Long, Long> ipv4 = new TreeMap<>();
  private final TreeMap<BigInteger, BigInteger> ipv6 = new TreeMap<>();
  private int errors;

  static NaiveBlocklist readIpList(InputStream in, Charset charset) throws IOException {
    NaiveBlocklist list = new NaiveBlocklist();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, charset));
    String line;
    while ((line = reader.readLine()) != null) {
      String value = line.split("#")[0].trim();
      if (!value.isEmpty()) {
        list.add(value);
      }
    }
    list.mergeIpv4();
    return list;
  }

  static NaiveBlocklist readZapretCsv(InputStream in, Charset charset) throws IOException {
    NaiveBlocklist list = new NaiveBlocklist();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, charset));
    String line;
    while ((line = reader.readLine()) != null) {
      String[] fields = line.split(";");
      if (fields.length < 6) {
        continue;
      }
      for (String value : fields[0].split("\\|")) {
        if (!value.trim().isEmpty()) {
          list.add(value.trim());
        }
      }
    }
    list.mergeIpv4();
    return list;
  }

  private void add(String value) {
    try {
      String[] parts = value.split("/");
      byte[] address = InetAddress.getByName(parts[0]).getAddress();
      int bits = address.length * 8;
      int prefix = parts.length > 1 ? Integer.parseInt(parts[1]) : bits;
      BigInteger start = new BigInteger(1, address);
      BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
      start = start.andNot(hostMask);
      BigInteger end = start.or(hostMask);
      if (address.length == 4) {
        ipv4.merge(start.longValue(), end.longValue(), Math::max);
      } else {
        ipv6.merge(start, end, BigInteger::max);
      }
    } catch (IOException | RuntimeException e) {
      errors++;
    }
  }

  private void mergeIpv4() {
    TreeMap<Long, Long> merged = new TreeMap<>();
    Map.Entry<Long, Long> last = null;
    for (Map.Entry<Long, Long> e : ipv4.entrySet()) {
      if (last != null && e.getKey() <= last.getValue() + 1) {
        if (e.getValue() > last.getValue()) {
          merged.put(last.getKey(), e.getValue());
          last = Map.entry(last.getKey(), e.getValue());
        }
      } else {
        merged.put(e.getKey(), e.getValue());
        last = e;
      }
    }
    ipv4 = merged;
  }

  boolean containsIpv4(long ip) {
    Map.Entry<Long, Long> entry = ipv4.floorEntry(ip);
    return entry != null && entry.getValue() >= ip;
  }

  int ranges() {
    return ipv4.size() + ipv6.size();
  }

  int errors() {
    return errors;
  }
}
