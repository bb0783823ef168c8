package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.ParseLimits;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An Error while a source's index is built (the OutOfMemoryError of issue 9) must end as a failure
 * of that source with a next fetch time, not escape the reconcile: escaping, it left the list with
 * no status and the source never fetched again.
 */
class SourceReaderErrorTest {

  static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

  /** A fetcher whose index build runs out of memory, as the unbounded builder did. */
  static final class ExhaustedFetcher extends HttpSourceFetcher {
    ExhaustedFetcher() {
      super(SourceAccess.publicOnly("default"));
    }

    @Override
    public FetchResult fetch(FetchRequest request) {
      throw new OutOfMemoryError("Java heap space");
    }
  }

  @Test
  void anOutOfMemoryErrorBecomesATooLargeFailureAndTheSourceStaysScheduled() {
    SourceReader reader =
        new SourceReader(new ExhaustedFetcher(), Clock.fixed(NOW, ZoneOffset.UTC));
    ResolvedSource source =
        new ResolvedSource(
            "feed",
            "spec.sources[0]",
            "url x",
            URI.create("https://1.1.1.1/x.lst"),
            null,
            null,
            BlocklistFormat.IP_LIST,
            null,
            Duration.ofHours(1),
            Duration.ofSeconds(30),
            1 << 20,
            ParseLimits.DEFAULT);
    SourceState state = new SourceState();

    assertThat(reader.refreshUrl(source, state, false, ref -> Optional.empty())).isTrue();

    assertThat(state.failure.reason()).isEqualTo(FailureReason.TOO_LARGE);
    assertThat(state.failure.message())
        .contains("OutOfMemoryError")
        .contains("spec.sources[0].maxEntries");
    assertThat(state.nextFetch)
        .as("retried with backoff")
        .isAfter(NOW)
        .isBefore(NOW.plus(Duration.ofHours(1)).plusSeconds(1));
    assertThat(state.good).isNull();
  }
}
