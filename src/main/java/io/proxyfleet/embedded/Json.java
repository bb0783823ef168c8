package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Plain Jackson for the documents this package builds by hand. */
final class Json {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static ArrayNode array(String... values) {
    ArrayNode array = MAPPER.createArrayNode();
    for (String value : values) {
      array.add(value);
    }
    return array;
  }
}
