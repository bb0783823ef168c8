package io.proxyfleet.cli;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.proxyfleet.probe.ProxyProbe;
import io.proxyfleet.vantage.AgentRbac;
import io.proxyfleet.vantage.ProbeAgent;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code proxyfleet probe-agent}: probes a vantage's fleets from inside the censored network. */
@Command(
    name = "probe-agent",
    mixinStandardHelpOptions = true,
    subcommands = ProbeAgentCommand.Rbac.class,
    description = {
      "Runs where users are (a VPS or a box inside the censored network): every reportInterval it probes the proxies of"
          + " the Vantage's fleets with their own protocol and credentials and reports the results in the Vantage's status.",
      "Give it a kubeconfig holding the token of the ServiceAccount that 'probe-agent rbac' creates; it needs nothing else.",
      "Exit status: 0 stopped (or --once finished), 1 the Vantage cannot be read or written, 2 usage error."
    })
final class ProbeAgentCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  // Not picocli-required: that would also demand it before the rbac subcommand.
  @Option(
      names = "--vantage",
      paramLabel = "NAME",
      description = "The Vantage this agent reports for (required).")
  String vantage;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "Kubeconfig to use instead of $KUBECONFIG or ~/.kube/config.")
  Path kubeconfig;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "Namespace of the Vantage. Default: the kubeconfig context's, else default.")
  String namespace;

  @Option(
      names = "--source-address",
      paramLabel = "IP",
      description =
          "Local address to probe from (a box with several uplinks). Default: the system's choice.")
  InetAddress source;

  @Option(
      names = "--target",
      paramLabel = "HOST:PORT",
      defaultValue = "1.1.1.1:443",
      description =
          "Where SOCKS5 and HTTP probes ask the proxy to connect. Any answer of the proxy counts: this only has to be a plausible destination. Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      defaultValue = "16",
      description = "Probes in flight at once. Default: ${DEFAULT-VALUE}.")
  int concurrency;

  @Option(names = "--once", description = "Probe one round, report, and exit (for cron or a test).")
  boolean once;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (vantage == null || vantage.isBlank()) {
      err.println("probe-agent: --vantage NAME is required");
      return UsageException.EXIT_CODE;
    }
    ProxyProbe.Target where;
    try {
      where = target(target);
    } catch (IllegalArgumentException e) {
      err.println("probe-agent: --target: " + e.getMessage());
      return UsageException.EXIT_CODE;
    }
    if (concurrency < 1 || concurrency > 1024) {
      err.println("probe-agent: --concurrency must be 1 to 1024");
      return UsageException.EXIT_CODE;
    }
    Config config = KubeconfigOptions.config(kubeconfig);
    String ns = KubeconfigOptions.namespace(namespace, config);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        ProbeAgent agent =
            new ProbeAgent(client, ns, vantage, source, where, concurrency, Clock.systemUTC())) {
      if (once) {
        ProbeAgent.Round round = agent.runOnce();
        spec.commandLine()
            .getOut()
            .println(
                "probed "
                    + round.probed()
                    + " proxies, "
                    + round.reachable()
                    + " reachable"
                    + (round.reported() ? "; reported" : "; nothing changed"));
        return 0;
      }
      Thread worker = new Thread(agent::run, "probe-agent");
      Runtime.getRuntime().addShutdownHook(new Thread(worker::interrupt));
      worker.start();
      worker.join();
      return 0;
    } catch (KubernetesClientException | IllegalStateException e) {
      err.println("probe-agent: " + e.getMessage());
      return 1;
    }
  }

  static ProxyProbe.Target target(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
    }
    String host = text.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
    try {
      return new ProxyProbe.Target(host, Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
    }
  }

  /**
   * {@code proxyfleet probe-agent rbac}: the agent's ServiceAccount, Role and RoleBinding as YAML.
   */
  @Command(
      name = "rbac",
      mixinStandardHelpOptions = true,
      description =
          "Prints the ServiceAccount, Role and RoleBinding a vantage's agent runs with (pipe to kubectl apply -f -): list"
              + " Proxies, get its fleets' credentials Secrets by name, get its Vantage and patch that Vantage's status. Nothing else.")
  static final class Rbac implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--vantage", required = true, paramLabel = "NAME")
    String vantage;

    @Option(
        names = {"-n", "--namespace"},
        required = true,
        paramLabel = "NS")
    String namespace;

    @Option(
        names = "--fleet",
        required = true,
        paramLabel = "FLEET",
        description = "A fleet the vantage probes (repeat for several).")
    List<String> fleets;

    @Option(
        names = "--credentials-secret",
        paramLabel = "SECRET",
        description =
            "A fleet's credentials Secret when it names its own (spec.credentialsSecret); default <FLEET>-credentials for each --fleet.")
    List<String> secrets = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      List<String> names = new ArrayList<>(secrets);
      if (names.isEmpty()) {
        fleets.forEach(f -> names.add(f + "-credentials"));
      }
      PrintWriter out = spec.commandLine().getOut();
      for (HasMetadata object : AgentRbac.objects(namespace, vantage, names)) {
        out.print(Serialization.asYaml(object));
      }
      out.flush();
      return 0;
    }
  }
}
