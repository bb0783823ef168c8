package io.proxyfleet.cloud.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One proxy VM of the Debian boot test: an overlay on the cached tree, entered with chroot inside
 * the test's network namespace. There is no systemd, so systemctl is a recorder that says what the
 * script asked for, and {@link #start} runs a unit the way systemd would: its ExecStart, as its
 * User, with its AmbientCapabilities and NoNewPrivileges, from the unit file the VM holds.
 */
final class DebianVm implements AutoCloseable {

  static final String SYSTEMCTL_LOG = "/var/log/proxyfleet-systemctl.log";

  final Path dir;
  final Path root;
  final TestNetwork net;
  private final List<Process> started = new ArrayList<>();
  private final List<String> mounts = new ArrayList<>();

  private DebianVm(Path dir, TestNetwork net) {
    this.dir = dir;
    this.root = dir.resolve("root");
    this.net = net;
  }

  static DebianVm create(DebianTree tree, TestNetwork net, Path dir) throws IOException {
    DebianVm vm = new DebianVm(dir, net);
    for (String d : List.of("upper", "work", "root")) {
      Files.createDirectories(dir.resolve(d));
    }
    vm.mount(
        List.of(
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            "lowerdir="
                + tree.root
                + ",upperdir="
                + dir.resolve("upper")
                + ",workdir="
                + dir.resolve("work"),
            vm.root.toString()),
        vm.root);
    vm.mount(
        List.of("mount", "--bind", "/dev", vm.root.resolve("dev").toString()),
        vm.root.resolve("dev"));
    vm.mount(
        List.of("mount", "-t", "proc", "proc", vm.root.resolve("proc").toString()),
        vm.root.resolve("proc"));
    Path systemctl = vm.root.resolve("usr/local/sbin/systemctl");
    Files.writeString(
        systemctl,
        "#!/bin/sh\n# Debian boot test: no systemd here; record the request, the test starts the unit.\necho \"$*\" >>"
            + SYSTEMCTL_LOG
            + "\n");
    Files.setPosixFilePermissions(systemctl, PosixFilePermissions.fromString("rwxr-xr-x"));
    // No DNS server in the test network; 127.0.0.1 fails at once (and is closed to the proxy user).
    Files.writeString(vm.root.resolve("etc/resolv.conf"), "nameserver 127.0.0.1\n");
    return vm;
  }

  private void mount(List<String> command, Path target) {
    HostCommand.check(Duration.ofMinutes(1), command);
    mounts.add(0, target.toString());
  }

  /** Runs the boot script as cloud-init would: as root, in the VM's namespace. */
  HostCommand boot(String script) throws IOException {
    Files.writeString(root.resolve("root/boot.sh"), script);
    return HostCommand.run(
        Duration.ofMinutes(10),
        List.of(
            "ip",
            "netns",
            "exec",
            net.name,
            "chroot",
            root.toString(),
            "/bin/bash",
            "/root/boot.sh"));
  }

  String file(String path) throws IOException {
    Path p = root.resolve(path.substring(1));
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }

  boolean exists(String path) {
    return Files.exists(root.resolve(path.substring(1)));
  }

  List<String> systemctlCalls() throws IOException {
    return file(SYSTEMCTL_LOG).lines().toList();
  }

  /** The [Service] keys of a unit as the VM has it: the script's own, else the package's. */
  Map<String, String> unit(String name) throws IOException {
    String unit = name.endsWith(".service") ? name : name + ".service";
    String text = file("/etc/systemd/system/" + unit);
    if (text.isEmpty()) text = file("/lib/systemd/system/" + unit);
    if (text.isEmpty()) throw new IllegalStateException("no unit " + unit + " in the VM");
    Map<String, String> keys = new LinkedHashMap<>();
    boolean service = false;
    for (String line : text.lines().toList()) {
      if (line.startsWith("[")) service = line.equals("[Service]");
      else if (service
          && line.contains("=")
          && !line.startsWith("#")
          && !line.startsWith(" ")
          && !line.startsWith("\t")) {
        keys.putIfAbsent(
            line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
      }
    }
    return keys;
  }

  /**
   * Starts a unit the way systemd would: ExecStart (with $VARS from its EnvironmentFile, here none)
   * as User, with AmbientCapabilities and NoNewPrivileges, output into the test's directory. A
   * oneshot runs to the end; anything else keeps running until {@link #close()}.
   */
  Process start(String name) throws IOException, InterruptedException {
    Map<String, String> unit = unit(name);
    List<String> command =
        new ArrayList<>(List.of("ip", "netns", "exec", net.name, "chroot", root.toString()));
    String user = unit.get("User");
    if (user != null) {
      command.addAll(
          List.of(
              "setpriv",
              "--reuid=" + user,
              "--regid=" + unit.getOrDefault("Group", user),
              "--init-groups"));
      String caps = unit.get("AmbientCapabilities");
      if (caps != null) {
        String list =
            String.join(
                ",",
                java.util.Arrays.stream(caps.split("\\s+"))
                    .map(c -> "+" + c.toLowerCase().replace("cap_", ""))
                    .toList());
        command.addAll(List.of("--inh-caps=" + list, "--ambient-caps=" + list));
      }
      if ("yes".equals(unit.get("NoNewPrivileges"))) command.add("--no-new-privs");
    }
    for (String word : unit.get("ExecStart").split("\\s+")) {
      if (!word.startsWith("$") && !word.isEmpty()) command.add(word);
    }
    Path log = dir.resolve(name + ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    if ("oneshot".equals(unit.get("Type"))) {
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(name + " failed: " + Files.readString(log));
      }
    }
    return p;
  }

  String output(String unit) throws IOException {
    Path log = dir.resolve(unit + ".log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** Runs a command inside the VM (chroot, namespace) as root or as a user. */
  HostCommand run(String user, String... command) {
    List<String> full =
        new ArrayList<>(List.of("ip", "netns", "exec", net.name, "chroot", root.toString()));
    if (user != null)
      full.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups"));
    full.addAll(List.of(command));
    return HostCommand.run(Duration.ofMinutes(1), full);
  }

  /**
   * A process of the VM's tree in this host's namespace: a client, as a user's machine would run
   * it.
   */
  Process client(Path log, String... command) throws IOException {
    List<String> full = new ArrayList<>(List.of("chroot", root.toString()));
    full.addAll(List.of(command));
    Process p =
        new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    return p;
  }

  @Override
  public void close() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    net.killAll();
    for (Process p : started) {
      try {
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (String target : mounts) {
      if (HostCommand.run("umount", target).exitCode() != 0) {
        // A process that has not let go yet: detach now, the kernel finishes when it exits.
        HostCommand.run("umount", "-l", target);
      }
    }
    HostCommand.run("rm", "-rf", "--one-file-system", dir.toString());
  }
}
