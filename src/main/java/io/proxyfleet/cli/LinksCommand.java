package io.proxyfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.secrets.FleetSecrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code proxyfleet links}: the links of a fleet's proxies, as text, JSON, QR codes or PNG files.
 */
@Command(
    name = "links",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the links people import to use a fleet's proxies (tg://, https://t.me, ss://, http://), read from the"
          + " fleet's endpoints Secret like kubectl does (current kubeconfig and namespace by default) or from a saved"
          + " endpoints.json.",
      "Exit status: 0 printed (also when no proxy matches), 1 the Secret or file cannot be read, 2 usage error."
    })
final class LinksCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..1",
      paramLabel = "FLEET",
      description = "The ProxyFleet whose <FLEET>-endpoints Secret to read.")
  String fleet;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "Kubeconfig to use instead of $KUBECONFIG or ~/.kube/config.")
  Path kubeconfig;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "Namespace of the fleet. Default: the kubeconfig context's, else default.")
  String namespace;

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description = "Read a saved endpoints.json instead of the cluster.")
  Path file;

  @Option(names = "--region", paramLabel = "REGION", description = "Only proxies in this region.")
  String region;

  @Option(
      names = "--protocol",
      paramLabel = "PROTOCOL",
      description = "Only proxies of this protocol: socks5, http, mtproto or shadowsocks.")
  String protocol;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "text or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;

  @Option(
      names = "--qr",
      description =
          "Also print each link as a QR code in the terminal (light modules drawn, for dark terminals, like qrencode -t utf8).")
  boolean qr;

  @Option(
      names = "--png",
      paramLabel = "DIR",
      description = "Also write each link as a QR code PNG into DIR (<proxy>-<n>.png).")
  Path pngDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if ((fleet == null) == (file == null)) {
      err.println("links: name a FLEET or give --file endpoints.json (one of them)");
      return UsageException.EXIT_CODE;
    }
    if (protocol != null && Protocol.fromWireName(protocol).isEmpty()) {
      err.println(
          "links: --protocol '"
              + protocol
              + "' is not a protocol; use socks5, http, mtproto or shadowsocks");
      return UsageException.EXIT_CODE;
    }
    if (qr && output == OutputFormat.json) {
      err.println("links: --qr draws codes in text output; use --png DIR with --output json");
      return UsageException.EXIT_CODE;
    }
    if (file != null && (kubeconfig != null || namespace != null)) {
      err.println(
          "links: --file reads a saved copy; --kubeconfig and --namespace apply to a FLEET only");
      return UsageException.EXIT_CODE;
    }
    JsonNode endpoints;
    try {
      endpoints =
          new ObjectMapper()
              .readTree(
                  file != null ? Files.readString(file, StandardCharsets.UTF_8) : fromCluster());
    } catch (Unreadable e) {
      err.println("links: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println(
          "links: cannot read "
              + (file != null ? file : "the endpoints Secret")
              + ": "
              + e.getMessage());
      return 1;
    }
    if (!endpoints.isArray()) {
      err.println(
          "links: "
              + (file != null ? file : "the endpoints Secret")
              + " is not an endpoints list (a JSON array)");
      return 1;
    }
    List<JsonNode> proxies = new ArrayList<>();
    for (JsonNode p : endpoints) {
      if ((region == null || region.equals(p.path("region").asText()))
          && (protocol == null || protocol.equals(p.path("protocol").asText()))) {
        proxies.add(p);
      }
    }
    if (pngDir != null) {
      Files.createDirectories(pngDir);
    }
    ArrayNode json = JsonNodeFactory.instance.arrayNode();
    TextTable table = new TextTable("NAME", "REGION", "PROTOCOL", "LINK");
    int pngs = 0;
    for (JsonNode p : proxies) {
      String name = p.path("name").asText();
      ObjectNode node = json.addObject();
      for (String field :
          List.of("name", "cloudProfile", "region", "zone", "ip", "port", "protocol")) {
        if (p.has(field)) node.set(field, p.get(field));
      }
      ArrayNode links = node.putArray("links");
      int n = 0;
      for (String link : links(p)) {
        links.add(link);
        n++;
        if (output == OutputFormat.text && qr) {
          out.println(
              name
                  + " "
                  + p.path("region").asText()
                  + " "
                  + p.path("protocol").asText()
                  + " "
                  + link);
          out.print(LinkQrCode.of(link).terminalText());
          out.println();
        } else {
          table.row(name, p.path("region").asText(), p.path("protocol").asText(), link);
        }
        if (pngDir != null) {
          // Proxy names are Kubernetes names, safe as file names; anything else is replaced.
          Path png = pngDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + n + ".png");
          Files.write(png, LinkQrCode.of(link).png(8));
          pngs++;
        }
      }
    }
    if (output == OutputFormat.json) {
      out.println(
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
    } else if (!qr) {
      table.print(out);
    }
    if (pngDir != null) {
      err.println("links: wrote " + pngs + " PNG file" + (pngs == 1 ? "" : "s") + " to " + pngDir);
    }
    out.flush();
    return 0;
  }

  /** The proxy's links; Secrets written before links existed have only the URI. */
  static List<String> links(JsonNode proxy) {
    List<String> out = new ArrayList<>();
    proxy.path("links").forEach(l -> out.add(l.asText()));
    if (out.isEmpty() && proxy.hasNonNull("uri")) {
      out.add(proxy.get("uri").asText());
    }
    return out;
  }

  private String fromCluster() throws Unreadable, IOException {
    Config config = KubeconfigOptions.config(kubeconfig);
    String ns = KubeconfigOptions.namespace(namespace, config);
    String name = fleet + "-endpoints";
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      Secret secret = client.secrets().inNamespace(ns).withName(name).get();
      if (secret == null) {
        throw new Unreadable(
            "Secret "
                + ns
                + "/"
                + name
                + " not found; is '"
                + fleet
                + "' a ProxyFleet in namespace "
                + ns
                + " with ready proxies? (kubectl get pf -n "
                + ns
                + ")");
      }
      String value = FleetSecrets.endpointsJson(secret);
      if (value == null) {
        throw new Unreadable(
            "Secret "
                + ns
                + "/"
                + name
                + " has no key "
                + FleetSecrets.ENDPOINTS_KEY
                + " or "
                + FleetSecrets.ENDPOINTS_GZIP_KEY);
      }
      return value;
    } catch (KubernetesClientException e) {
      throw new Unreadable(
          "cannot read Secret "
              + ns
              + "/"
              + name
              + " from "
              + config.getMasterUrl()
              + ": "
              + (e.getCode() > 0 ? "HTTP " + e.getCode() + " " : "")
              + e.getMessage());
    }
  }

  /** The source cannot be read; the message says which and why. */
  private static final class Unreadable extends Exception {
    Unreadable(String message) {
      super(message);
    }
  }
}
