package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.proxyfleet.api.BlocklistSpec;
import io.proxyfleet.status.SpecProblem;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BlocklistValidatorTest {

  static BlocklistSpec spec(String yaml) throws Exception {
    return new ObjectMapper(new YAMLFactory()).readValue(yaml, BlocklistSpec.class);
  }

  @Test
  void defaultsAreAppliedAndNamesDerived() throws Exception {
    BlocklistValidator.Result r =
        new BlocklistValidator()
            .validate(
                spec(
                    """
        sources:
          - url: https://antifilter.download/list/ipsum.lst?token=abc
          - configMap: {namespace: ops, name: manual, key: list.txt}
            format: zapret-csv
            maxBytes: 1000000
        """));
    assertThat(r.problems()).isEmpty();
    assertThat(r.sources()).hasSize(2);
    ResolvedSource url = r.sources().get(0);
    assertThat(url.name())
        .as("host and path, never the query")
        .isEqualTo("antifilter.download/list/ipsum.lst");
    assertThat(url.refreshInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(url.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(url.maxBytes()).isEqualTo(256L << 20);
    assertThat(r.sources().get(1).name()).isEqualTo("ops/manual[list.txt]");
    assertThat(r.sources().get(1).maxBytes()).isEqualTo(1_000_000);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "both url and configMap | {url: 'http://a/x', configMap: {namespace: a, name: b, key: c}} | spec.sources[0] | keep exactly one",
        "neither                | {format: ip-list}                                             | spec.sources[0] | set exactly one",
        "ftp                    | {url: 'ftp://a/x'}                                            | spec.sources[0].url | use http or https",
        "credentials in url     | {url: 'https://user:pw@a/x'}                                  | spec.sources[0].url | authSecret",
        "unknown format         | {url: 'http://a/x', format: csv}                              | spec.sources[0].format | ip-list or zapret-csv",
        "unknown encoding       | {url: 'http://a/x', encoding: klingon-8}                      | spec.sources[0].encoding | windows-1251",
        "refresh too short      | {url: 'http://a/x', refreshInterval: 10s}                     | spec.sources[0].refreshInterval | minimum 1m",
        "timeout too long       | {url: 'http://a/x', timeout: 1h}                              | spec.sources[0].timeout | maximum 10m",
        "bad maxBytes           | {url: 'http://a/x', maxBytes: lots}                           | spec.sources[0].maxBytes | 64Mi",
        "maxBytes above 1Gi     | {url: 'http://a/x', maxBytes: 2Gi}                            | spec.sources[0].maxBytes | 1Gi",
        "auth on configMap      | {configMap: {namespace: a, name: b, key: c}, authSecret: {namespace: a, name: s, key: k}} | spec.sources[0].authSecret | url sources only",
        "configMap without ns   | {configMap: {name: b, key: c}}                                | spec.sources[0].configMap.namespace | cluster-scoped",
      })
  void badSourcesNameTheFieldAndTheFix(String name, String source, String field, String fix)
      throws Exception {
    BlocklistValidator.Result r =
        new BlocklistValidator().validate(spec("sources: [" + source + "]"));
    assertThat(r.problems())
        .as(name)
        .anyMatch(p -> p.field().equals(field) && p.message().contains(fix));
    assertThat(r.sources()).isEmpty();
    assertThat(r.problems().toString())
        .as("a credential in a URL is never echoed")
        .doesNotContain("pw@");
  }

  @Test
  void duplicateNamesAndGuardValuesAreReported() throws Exception {
    BlocklistValidator.Result r =
        new BlocklistValidator()
            .validate(
                spec(
                    """
        sources:
          - {name: feed, url: 'http://a/x'}
          - {name: feed, url: 'http://a/y'}
        guard: {minIpv4Prefix: 40, maxGrowthFactor: 0}
        """));
    assertThat(r.problems())
        .extracting(SpecProblem::field)
        .containsExactlyInAnyOrder(
            "spec.sources[1].name", "spec.guard.minIpv4Prefix", "spec.guard.maxGrowthFactor");
  }
}
