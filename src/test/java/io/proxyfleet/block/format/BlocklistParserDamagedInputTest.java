package io.proxyfleet.block.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.block.IpRange;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.RowCounts;
import io.proxyfleet.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged copies of real lists, made here, and the small quirks each format must survive. */
class BlocklistParserDamagedInputTest {

  private static final Charset CP1251 = Charset.forName("windows-1251");

  @TempDir Path dir;

  @Test
  void gzipOfARealFileReadsTheSameAsThePlainFile() throws Exception {
    Path plain = SharedData.rkn("zi_ipv4_values_2025-10-01T1234Z.txt");
    Path gz = gzip(plain);
    ParsedBlocklist fromPlain = parseFile(plain, BlocklistFormat.IP_LIST, null);
    ParsedBlocklist fromGzip = parseFile(gz, BlocklistFormat.IP_LIST, null);
    assertThat(fromGzip.index().ipv4Ranges()).isEqualTo(fromPlain.index().ipv4Ranges());
    assertThat(fromGzip.entries()).isEqualTo(fromPlain.entries()).isEqualTo(169581);
    assertThat(fromGzip.rows()).isEqualTo(fromPlain.rows());

    Path csv = SharedData.rkn("zi_dump-08_2020-01-30_cp1251.csv");
    ParsedBlocklist dump = parseFile(gzip(csv), BlocklistFormat.ZAPRET_CSV, null);
    assertThat(dump.entries()).isEqualTo(54434);
    assertThat(dump.rows().rowsWithExtraFields()).isEqualTo(13);
  }

  @Test
  void truncatedGzipIsAnIoErrorThatSaysSo() throws Exception {
    byte[] gz = Files.readAllBytes(gzip(SharedData.rkn("zi_ipv4_values_2025-10-01T1234Z.txt")));
    for (int length : new int[] {gz.length / 2, gz.length - 9, 5}) {
      byte[] cut = Arrays.copyOf(gz, length);
      assertThatThrownBy(() -> parse(cut, BlocklistFormat.IP_LIST, null))
          .as("cut at %d of %d bytes", length, gz.length)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("gzip data is truncated or corrupt")
          .hasMessageContaining("not read");
    }
  }

  @Test
  void corruptGzipIsAnIoError() throws Exception {
    byte[] gz = Files.readAllBytes(gzip(SharedData.rkn("antifilter_ipsum.lst")));
    for (int i = 40; i < 200; i++) {
      gz[i] ^= 0x5A;
    }
    assertThatThrownBy(() -> parse(gz, BlocklistFormat.IP_LIST, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("gzip data is truncated or corrupt");
  }

  @Test
  void anHtmlErrorPageIsRejected() throws IOException {
    String page =
        "\n  <!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
            + "<body><h1>502 Bad Gateway</h1><p>1.2.3.4</p></body></html>\n";
    for (BlocklistFormat format : BlocklistFormat.values()) {
      assertThatThrownBy(() -> parse(page.getBytes(StandardCharsets.UTF_8), format, null))
          .isInstanceOf(BlocklistParseException.class)
          .hasMessageContaining("line 2 starts with '<'")
          .hasMessageContaining("HTML page");
    }
    byte[] gzPage = gzipBytes(page.getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> parse(gzPage, BlocklistFormat.IP_LIST, null))
        .isInstanceOf(BlocklistParseException.class)
        .hasMessageContaining("HTML page");
  }

  @Test
  void utf16TextReadAsAnAsciiEncodingIsRejected() throws Exception {
    String list = Files.readString(SharedData.rkn("antifilter_community.lst"));
    // With a byte order mark (what Windows tools write) ...
    byte[] withBom = list.getBytes(StandardCharsets.UTF_16);
    assertThatThrownBy(() -> parse(withBom, BlocklistFormat.IP_LIST, null))
        .isInstanceOf(BlocklistParseException.class)
        .hasMessageContaining("UTF-16 byte order mark")
        .hasMessageContaining("set the encoding to UTF-16");
    // ... and without one.
    byte[] noBom = list.getBytes(StandardCharsets.UTF_16LE);
    assertThatThrownBy(() -> parse(noBom, BlocklistFormat.IP_LIST, StandardCharsets.UTF_8))
        .isInstanceOf(BlocklistParseException.class)
        .hasMessageContaining("line 1 contains a NUL byte")
        .hasMessageContaining("UTF-16");
    byte[] dumpUtf16 =
        new String(Files.readAllBytes(SharedData.rkn("zi_dump-08_2020-01-30_cp1251.csv")), CP1251)
            .getBytes(StandardCharsets.UTF_16BE);
    assertThatThrownBy(() -> parse(dumpUtf16, BlocklistFormat.ZAPRET_CSV, null))
        .isInstanceOf(BlocklistParseException.class)
        .hasMessageContaining("NUL byte");
  }

  @Test
  void utf16TextDeclaredAsUtf16Reads() throws Exception {
    String list = Files.readString(SharedData.rkn("antifilter_community.lst"));
    ParsedBlocklist parsed =
        parse(
            list.getBytes(StandardCharsets.UTF_16),
            BlocklistFormat.IP_LIST,
            StandardCharsets.UTF_16);
    assertThat(parsed.entries()).isEqualTo(688);
    assertThat(parsed.index().ipv4Addresses()).isEqualTo(671970);

    String dump =
        new String(Files.readAllBytes(SharedData.rkn("zi_dump-08_2020-01-30_cp1251.csv")), CP1251);
    ParsedBlocklist csv =
        parse(
            dump.getBytes(StandardCharsets.UTF_16LE),
            BlocklistFormat.ZAPRET_CSV,
            StandardCharsets.UTF_16LE);
    assertThat(csv.entries()).isEqualTo(54434);
    assertThat(csv.rows()).isEqualTo(new RowCounts(15882, 15882, 13, 146, 0));
  }

  @Test
  void textInAWrongMultiByteEncodingIsRejectedNotReadAsAnEmptyList() throws Exception {
    // cp1251 bytes declared as UTF-16: decodes to CJK-like junk with no valid value.
    byte[] dump =
        Arrays.copyOf(
            Files.readAllBytes(SharedData.rkn("zi_dump-08_2020-01-30_cp1251.csv")), 200_000);
    assertThatThrownBy(() -> parse(dump, BlocklistFormat.ZAPRET_CSV, StandardCharsets.UTF_16LE))
        .isInstanceOf(BlocklistParseException.class)
        .hasMessageContaining("values did not parse")
        .hasMessageContaining("UTF-16LE");
  }

  @Test
  void binaryJunkIsRejected() {
    byte[] junk = new byte[100_000];
    new SplittableRandom(1).nextBytes(junk);
    for (BlocklistFormat format : BlocklistFormat.values()) {
      assertThatThrownBy(() -> parse(junk, format, null))
          .isInstanceOf(BlocklistParseException.class)
          .hasMessageContaining("NUL byte");
    }
    // Junk without NUL bytes (e.g. a JPEG's printable parts) still cannot pass as a list.
    byte[] noNul = junk.clone();
    for (int i = 0; i < noNul.length; i++) {
      if (noNul[i] == 0) {
        noNul[i] = 'x';
      }
    }
    noNul[0] = 'J';
    for (BlocklistFormat format : BlocklistFormat.values()) {
      assertThatThrownBy(() -> parse(noNul, format, null))
          .isInstanceOf(BlocklistParseException.class)
          .hasMessageContaining("did not parse");
    }
  }

  @Test
  void aListThatIsMostlyGarbageIsRejectedAndAFewBadLinesAreNot() throws Exception {
    StringBuilder mostlyBad = new StringBuilder();
    StringBuilder fewBad = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      mostlyBad.append(i % 3 == 0 ? "10.0." + i + ".0/24\n" : "host-" + i + ".example.org\n");
      fewBad.append(i % 10 == 0 ? "host-" + i + ".example.org\n" : "10.0." + i + ".0/24\n");
    }
    assertThatThrownBy(
            () ->
                parse(
                    mostlyBad.toString().getBytes(StandardCharsets.UTF_8),
                    BlocklistFormat.IP_LIST,
                    null))
        .isInstanceOf(BlocklistParseException.class)
        .hasMessageContaining("66 of 100 values did not parse")
        .hasMessageContaining("line 2: 'host-1.example.org' is not an IPv4 address");
    ParsedBlocklist parsed =
        parse(fewBad.toString().getBytes(StandardCharsets.UTF_8), BlocklistFormat.IP_LIST, null);
    assertThat(parsed.entries()).isEqualTo(90);
    assertThat(parsed.parseErrors()).isEqualTo(10);
    assertThat(parsed.firstErrors())
        .hasSize(ParsedBlocklist.MAX_REPORTED_ERRORS)
        .startsWith(
            "line 1: 'host-0.example.org' is not an IPv4 address",
            "line 11: 'host-10.example.org' is not an IPv4 address");
  }

  @Test
  void malformedLinesAreCountedWithTheirLineNumbersAndSkipped() throws Exception {
    String list =
        String.join(
            "\n",
            "# antifilter-style list", // 1
            "", // 2
            "10.0.0.0/8", // 3
            "300.1.1.1", // 4
            "   192.168.1.1   # our office", // 5
            "1.2.3.4/33", // 6
            "2001:db8::/32", // 7
            "2001:db8::g", // 8
            "\t172.16.0.0/12\t", // 9
            "1.2.3.4 5.6.7.8", // 10
            "   # indented comment", // 11
            "8.8.8.8"); // 12, no trailing newline
    ParsedBlocklist parsed =
        parse(list.getBytes(StandardCharsets.UTF_8), BlocklistFormat.IP_LIST, null);
    assertThat(parsed.entries()).isEqualTo(5);
    assertThat(parsed.parseErrors()).isEqualTo(4);
    assertThat(parsed.firstErrors())
        .containsExactly(
            "line 4: '300.1.1.1' is not an IPv4 address",
            "line 6: '1.2.3.4/33': prefix length 33 is larger than 32",
            "line 8: '2001:db8::g' is not an IPv6 address",
            "line 10: '1.2.3.4 5.6.7.8' is not an IPv4 address");
    assertThat(parsed.rows()).isEqualTo(new RowCounts(12, 9, 0, 0, 0));
    assertThat(parsed.index().match("192.168.1.1")).isPresent();
    assertThat(parsed.index().match("8.8.8.8")).isPresent();
    assertThat(parsed.index().match("172.31.255.255")).isPresent();
    assertThat(parsed.index().match("2001:db8:ffff::1")).isPresent();
  }

  @Test
  void onlyTheFirstErrorsAreKeptButTheCountIsComplete() throws Exception {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      list.append("10.").append(i / 256).append('.').append(i % 256).append(".0/24\n");
      if (i % 100 == 0) {
        list.append("10.0.0.0/").append(40 + i / 100).append('\n');
      }
    }
    ParsedBlocklist parsed =
        parse(list.toString().getBytes(StandardCharsets.UTF_8), BlocklistFormat.IP_LIST, null);
    assertThat(parsed.parseErrors()).isEqualTo(10);
    assertThat(parsed.firstErrors())
        .hasSize(5)
        .first()
        .asString()
        .startsWith("line 2: '10.0.0.0/40'");
    assertThat(parsed.entries()).isEqualTo(1000);
  }

  @Test
  void crlfLineEndingsAndAByteOrderMarkAreHandled() throws Exception {
    byte[] lf = Files.readAllBytes(SharedData.rkn("antifilter_ipsum.lst"));
    byte[] crlf =
        (new String(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, StandardCharsets.UTF_8)
                + new String(lf, StandardCharsets.US_ASCII).replace("\n", "\r\n"))
            .getBytes(StandardCharsets.UTF_8);
    ParsedBlocklist fromLf = parse(lf, BlocklistFormat.IP_LIST, null);
    ParsedBlocklist fromCrlf = parse(crlf, BlocklistFormat.IP_LIST, null);
    assertThat(fromCrlf.parseErrors()).isZero();
    assertThat(fromCrlf.rows()).isEqualTo(fromLf.rows());
    assertThat(fromCrlf.index().ipv4Ranges()).isEqualTo(fromLf.index().ipv4Ranges());

    String csv =
        "Updated: 2020-01-30 15:33:00 +0000\r\n"
            + "1.2.3.4 | 2001:db8::1;example.com;http://example.com/;суд;2-123/2019;2019-01-01\r\n";
    ParsedBlocklist dump = parse(csv.getBytes(CP1251), BlocklistFormat.ZAPRET_CSV, null);
    assertThat(dump.entries()).isEqualTo(2);
    assertThat(dump.rows()).isEqualTo(new RowCounts(2, 1, 0, 0, 0));
  }

  @Test
  void zapretRowsWithEveryQuirk() throws Exception {
    String csv =
        String.join(
            "\n",
            "Updated: 2025-10-01 12:00:00 +0000",
            // 2020 style " | " separators, IPv6 included
            "1.1.1.1 | 2.2.2.0/24 | 2a00:1450::1;a.example;http://a.example/;Роскомнадзор;1;2019-01-01",
            // later style bare '|'
            "3.3.3.3|4.4.4.4;b.example;;МВД;2;2019-01-02",
            // a URL with ';' inside: 8 fields
            "5.5.5.5;c.example;http://c.example/?a=1;b=2;c=3;суд;3;2019-01-03",
            // several URLs in one field
            "6.6.6.6;d.example;http://d.example/1 | https://d.example/2;ФНС;4;2019-01-04",
            // domain only: no IPs, not an error
            ";e.example;;Генпрокуратура;5;2019-01-05",
            // a damaged (truncated) row and a bad value
            "7.7.7.7;f.example;http://f",
            "8.8.8.8 | 999.1.1.1 | ;g.example;;суд;6;2019-01-06",
            "");
    ParsedBlocklist parsed = parse(csv.getBytes(CP1251), BlocklistFormat.ZAPRET_CSV, null);
    assertThat(parsed.rows()).isEqualTo(new RowCounts(8, 7, 1, 1, 1));
    assertThat(parsed.entries()).isEqualTo(8);
    assertThat(parsed.ipv6Values()).isEqualTo(1);
    assertThat(parsed.parseErrors()).isEqualTo(2);
    assertThat(parsed.firstErrors())
        .containsExactly(
            "line 7: 3 ';'-separated fields, expected 6 (ips;domain;url;org;decision_number;decision_date)",
            "line 8: '999.1.1.1' is not an IPv4 address");
    assertThat(parsed.index().match("7.7.7.7")).isEmpty();
    assertThat(parsed.index().match("2.2.2.200")).map(IpRange::describe).contains("2.2.2.0/24");
    assertThat(parsed.index().match("2a00:1450:0:0::1")).isPresent();
    assertThat(parsed.index().match("5.5.5.5")).isPresent();
  }

  @Test
  void errorMessagesQuoteValuesInTheSourceEncodingAndShortenJunk() throws Exception {
    String csv =
        "1.2.3.4 | адрес;a.example;;суд;1;2019-01-01\n"
            + "5.6.7.8;b.example;;суд;2;2019-01-01\n"
            + "9.9.9.9 | "
            + "x".repeat(500)
            + ";c.example;;суд;3;2019-01-01\n";
    ParsedBlocklist parsed = parse(csv.getBytes(CP1251), BlocklistFormat.ZAPRET_CSV, null);
    assertThat(parsed.firstErrors()).hasSize(2);
    assertThat(parsed.firstErrors().get(0)).isEqualTo("line 1: 'адрес' is not an IPv4 address");
    assertThat(parsed.firstErrors().get(1)).hasSizeLessThan(120).contains("'...");
  }

  @Test
  void anEmptySourceIsAnEmptyListNotAnError() throws Exception {
    for (BlocklistFormat format : BlocklistFormat.values()) {
      ParsedBlocklist parsed = parse(new byte[0], format, null);
      assertThat(parsed.index().isEmpty()).isTrue();
      assertThat(parsed.parseErrors()).isZero();
      assertThat(
              parse(
                      "# nothing yet\n\n".getBytes(StandardCharsets.UTF_8),
                      BlocklistFormat.IP_LIST,
                      null)
                  .entries())
          .isZero();
    }
  }

  @Test
  void aVeryLongLineDoesNotBreakTheReader() throws Exception {
    // A line longer than the read buffer (64 KiB), followed by a normal one.
    String list = "#" + "c".repeat(300_000) + "\n1.2.3.4\n";
    ParsedBlocklist parsed =
        parse(list.getBytes(StandardCharsets.UTF_8), BlocklistFormat.IP_LIST, null);
    assertThat(parsed.entries()).isEqualTo(1);
    assertThat(parsed.rows().lines()).isEqualTo(2);
  }

  private ParsedBlocklist parse(byte[] data, BlocklistFormat format, Charset charset)
      throws Exception {
    // Deliver in small pieces so lines straddle reads, as they do on a network stream.
    InputStream in =
        new ByteArrayInputStream(data) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 777));
          }
        };
    return BlocklistParser.parse(in, format, charset);
  }

  private ParsedBlocklist parseFile(Path file, BlocklistFormat format, Charset charset)
      throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return BlocklistParser.parse(in, format, charset);
    }
  }

  private Path gzip(Path source) throws IOException {
    Path target = dir.resolve(source.getFileName() + ".gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(target))) {
      Files.copy(source, out);
    }
    return target;
  }

  private static byte[] gzipBytes(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }
}
