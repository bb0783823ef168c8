package io.proxyfleet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The real third-party files under {@code src/test/resources/data} and the shipped range snapshots.
 */
public final class TestData {

  public static final String AWS_2018 = "data/cloud/aws_ip-ranges_2018-04-05T181616Z.json";
  public static final String GCP_2021 = "data/cloud/gcp_cloud_2021-07-27T100131.json";
  public static final String GOOG_2024 = "data/cloud/goog_2024-04-25T070503.json";
  public static final String AWS_2025 = "cloud-ranges/aws_ip-ranges_2025-09-30T125825Z.json.gz";
  public static final String GCP_2025 = "cloud-ranges/gcp_cloud_2025-07-24T191628.json.gz";
  public static final String TIMELINE_2018 = "data/rkn/reported_2018-04_telegram_block_subnets.csv";

  private TestData() {}

  public static Path path(String resource) {
    URL url = TestData.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalStateException("test resource " + resource + " is missing");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static InputStream open(String resource) {
    try {
      return Files.newInputStream(path(resource));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file's bytes, gunzipped when it is gzip. */
  public static byte[] bytes(String resource) {
    try (InputStream in = open(resource)) {
      return resource.endsWith(".gz") ? new GZIPInputStream(in).readAllBytes() : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
