package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The examples of RFC 7386, appendix A. */
class MergePatchTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"a\":\"b\"}                 | {\"a\":\"c\"}                 | {\"a\":\"c\"}",
        "{\"a\":\"b\"}                 | {\"b\":\"c\"}                 | {\"a\":\"b\",\"b\":\"c\"}",
        "{\"a\":\"b\"}                 | {\"a\":null}                  | {}",
        "{\"a\":\"b\",\"b\":\"c\"}     | {\"a\":null}                  | {\"b\":\"c\"}",
        "{\"a\":[\"b\"]}               | {\"a\":\"c\"}                 | {\"a\":\"c\"}",
        "{\"a\":\"c\"}                 | {\"a\":[\"b\"]}               | {\"a\":[\"b\"]}",
        "{\"a\":{\"b\":\"c\"}}         | {\"a\":{\"b\":\"d\",\"c\":null}} | {\"a\":{\"b\":\"d\"}}",
        "{\"a\":[{\"b\":\"c\"}]}       | {\"a\":[1]}                   | {\"a\":[1]}",
        "[\"a\",\"b\"]                 | [\"c\",\"d\"]                 | [\"c\",\"d\"]",
        "{\"a\":\"b\"}                 | [\"c\"]                       | [\"c\"]",
        "{\"a\":\"foo\"}               | null                          | null",
        "{\"a\":\"foo\"}               | \"bar\"                       | \"bar\"",
        "{\"e\":null}                  | {\"a\":1}                     | {\"e\":null,\"a\":1}",
        "[1,2]                         | {\"a\":\"b\",\"c\":null}      | {\"a\":\"b\"}",
        "{}                            | {\"a\":{\"bb\":{\"ccc\":null}}} | {\"a\":{\"bb\":{}}}",
        // The case the CRUD dispatcher got wrong: an empty list empties the list.
        "{\"spec\":{\"cidrs\":[\"127.1.0.0/24\"]}} | {\"spec\":{\"cidrs\":[]}} | {\"spec\":{\"cidrs\":[]}}"
      })
  void appliesAsTheRfcSays(String target, String patch, String expected) throws IOException {
    JsonNode result = MergePatch.apply(Json.MAPPER.readTree(target), Json.MAPPER.readTree(patch));

    assertThat(result).isEqualTo(Json.MAPPER.readTree(expected));
  }
}
