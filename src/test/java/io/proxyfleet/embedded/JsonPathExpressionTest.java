package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonPathExpressionTest {

  private static final JsonNode OBJECT =
      read(
          """
      {"metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "proxy"}},
       "spec": {"size": 3, "ports": [80, 443], "enabled": false},
       "status": {"conditions": [
          {"type": "Synced", "status": "False"},
          {"type": "Ready", "status": "True", "reason": "Up"}]}}
      """);

  private static JsonNode read(String json) {
    try {
      return new ObjectMapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> eval(String path) {
    return JsonPathExpression.parse(path).evaluate(OBJECT).stream().map(JsonNode::asText).toList();
  }

  @Test
  void dottedFields() {
    assertThat(eval(".spec.size")).containsExactly("3");
    assertThat(eval("{.metadata.name}")).containsExactly("x");
    assertThat(eval("spec.size")).containsExactly("3");
    assertThat(eval("$.spec.size")).containsExactly("3");
    assertThat(eval(".spec.enabled")).containsExactly("false");
  }

  @Test
  void missingKeysYieldNothing() {
    assertThat(eval(".status.phase")).isEmpty();
    assertThat(eval(".nope.deeper.still")).isEmpty();
    assertThat(eval(".spec.size.inner")).isEmpty();
    assertThat(eval(".spec.ports[5]")).isEmpty();
  }

  @Test
  void subscripts() {
    assertThat(eval(".spec.ports[0]")).containsExactly("80");
    assertThat(eval(".spec.ports[-1]")).containsExactly("443");
    assertThat(eval(".spec.ports[*]")).containsExactly("80", "443");
    assertThat(eval(".metadata.labels['app.kubernetes.io/name']")).containsExactly("proxy");
    assertThat(eval(".metadata.labels.app\\.kubernetes\\.io/name")).containsExactly("proxy");
    assertThat(eval(".status.conditions[*].type")).containsExactly("Synced", "Ready");
  }

  @Test
  void filters() {
    assertThat(eval(".status.conditions[?(@.type==\"Ready\")].status")).containsExactly("True");
    assertThat(eval(".status.conditions[?(@.type=='Synced')].status")).containsExactly("False");
    assertThat(eval(".status.conditions[?(@.type!=\"Ready\")].type")).containsExactly("Synced");
    assertThat(eval(".status.conditions[?(@.reason)].type")).containsExactly("Ready");
    assertThat(eval(".status.conditions[?(@.type==\"Gone\")].status")).isEmpty();
  }

  @Test
  void rejectsWhatItCannotEvaluate() {
    assertThatThrownBy(() -> JsonPathExpression.parse(".spec[1:2]"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JsonPathExpression.parse(".spec[0"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
