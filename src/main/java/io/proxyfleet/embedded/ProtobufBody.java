package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads the Kubernetes protobuf encoding of the built-in kinds kubectl writes with protobuf: {@code
 * kubectl create secret} and {@code kubectl create configmap} send {@code
 * application/vnd.kubernetes.protobuf} (client-go's typed clients do), while the mock stores JSON
 * only. Only Secrets and ConfigMaps are understood, and of their metadata only what kubectl create
 * sets (name, generateName, namespace, labels, annotations, finalizers).
 *
 * <p>The encoding: the magic {@code k8s\0}, then a {@code runtime.Unknown} message whose field 1 is
 * the TypeMeta (apiVersion 1, kind 2) and field 2 the object's own message, with field numbers from
 * {@code k8s.io/api/core/v1/generated.proto}.
 */
final class ProtobufBody {

  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private ProtobufBody() {}

  /** The object as JSON, or empty when it is not a v1 Secret or ConfigMap in this encoding. */
  static Optional<ObjectNode> decode(byte[] body) {
    if (body.length < MAGIC.length
        || !Arrays.equals(body, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      return Optional.empty();
    }
    try {
      Reader unknown = new Reader(body, MAGIC.length, body.length);
      String apiVersion = "";
      String kind = "";
      byte[] raw = null;
      while (unknown.more()) {
        int field = unknown.tag();
        if (field == 1) {
          Reader typeMeta = unknown.message();
          while (typeMeta.more()) {
            int f = typeMeta.tag();
            if (f == 1) {
              apiVersion = typeMeta.string();
            } else if (f == 2) {
              kind = typeMeta.string();
            } else {
              typeMeta.skip();
            }
          }
        } else if (field == 2) {
          raw = unknown.bytes();
        } else {
          unknown.skip();
        }
      }
      if (raw == null || !apiVersion.equals("v1")) {
        return Optional.empty();
      }
      ObjectNode object = Json.object();
      object.put("apiVersion", apiVersion);
      object.put("kind", kind);
      Reader r = new Reader(raw, 0, raw.length);
      switch (kind) {
        case "Secret" -> {
          while (r.more()) {
            switch (r.tag()) {
              case 1 -> object.set("metadata", metadata(r.message()));
              case 2 -> entry(object.with("data"), r.message(), true);
              case 3 -> object.put("type", r.string());
              case 4 -> entry(object.with("stringData"), r.message(), false);
              case 5 -> object.put("immutable", r.varint() != 0);
              default -> r.skip();
            }
          }
        }
        case "ConfigMap" -> {
          while (r.more()) {
            switch (r.tag()) {
              case 1 -> object.set("metadata", metadata(r.message()));
              case 2 -> entry(object.with("data"), r.message(), false);
              case 3 -> entry(object.with("binaryData"), r.message(), true);
              case 4 -> object.put("immutable", r.varint() != 0);
              default -> r.skip();
            }
          }
        }
        default -> {
          return Optional.empty();
        }
      }
      return Optional.of(object);
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static ObjectNode metadata(Reader r) {
    ObjectNode metadata = Json.object();
    while (r.more()) {
      switch (r.tag()) {
        case 1 -> metadata.put("name", r.string());
        case 2 -> metadata.put("generateName", r.string());
        case 3 -> metadata.put("namespace", r.string());
        case 11 -> entry(metadata.with("labels"), r.message(), false);
        case 12 -> entry(metadata.with("annotations"), r.message(), false);
        case 14 -> {
          ArrayNode finalizers = metadata.withArray("finalizers");
          finalizers.add(r.string());
        }
        default -> r.skip();
      }
    }
    for (String empty : new String[] {"name", "generateName", "namespace"}) {
      if (metadata.path(empty).asText().isEmpty()) {
        metadata.remove(empty);
      }
    }
    return metadata;
  }

  /** One map entry (key 1, value 2); bytes values become base64 as in JSON. */
  private static void entry(ObjectNode map, Reader r, boolean bytes) {
    String key = "";
    String value = "";
    while (r.more()) {
      switch (r.tag()) {
        case 1 -> key = r.string();
        case 2 -> value = bytes ? Base64.getEncoder().encodeToString(r.bytes()) : r.string();
        default -> r.skip();
      }
    }
    map.put(key, value);
  }

  /** The protobuf wire format over a slice of a byte array. */
  private static final class Reader {
    private final byte[] data;
    private int position;
    private final int end;
    private int wireType;

    Reader(byte[] data, int from, int end) {
      this.data = data;
      this.position = from;
      this.end = end;
    }

    boolean more() {
      return position < end;
    }

    /** Reads a field key; answers the field number. */
    int tag() {
      long key = varint();
      wireType = (int) (key & 7);
      return (int) (key >>> 3);
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = at(position++);
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("malformed varint");
    }

    byte[] bytes() {
      int length = length();
      byte[] out = Arrays.copyOfRange(data, position, position + length);
      position += length;
      return out;
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    Reader message() {
      int length = length();
      Reader inner = new Reader(data, position, position + length);
      position += length;
      return inner;
    }

    void skip() {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> position += 8;
        case 2 -> {
          // Not "position += length()": that reads position before length() moves past the
          // length's own bytes.
          int length = length();
          position += length;
        }
        case 5 -> position += 4;
        default -> throw new IllegalArgumentException("unsupported wire type " + wireType);
      }
      if (position > end) {
        throw new IndexOutOfBoundsException("field runs past its message");
      }
    }

    private int length() {
      if (wireType != 2) {
        throw new IllegalArgumentException("expected a length-delimited field");
      }
      long length = varint();
      if (length < 0 || position + length > end) {
        throw new IndexOutOfBoundsException("length " + length + " runs past its message");
      }
      return (int) length;
    }

    private byte at(int index) {
      if (index >= end) {
        throw new IndexOutOfBoundsException("message ends inside a field");
      }
      return data[index];
    }
  }
}
