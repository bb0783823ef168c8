package io.proxyfleet.cloud.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A minimal Debian 12 tree from Debian's archive, built once with debootstrap and cached, standing
 * in for the cloud image: what Debian's cloud images have that the boot scripts rely on (systemd's
 * tools, iproute2, curl, CA certificates), plus the pinned packages downloaded (not installed) so
 * the script's own apt-get install runs without network inside the test's namespace. Each VM gets a
 * throw-away overlay on top, so runs never change the cache.
 */
final class DebianTree {

  static final String MIRROR = "http://deb.debian.org/debian";
  static final List<String> IMAGE_PACKAGES =
      List.of("systemd", "iproute2", "curl", "ca-certificates");

  final Path root;

  /** Seconds spent building the cache in this run; 0 when it was there already. */
  final long buildSeconds;

  private DebianTree(Path root, long buildSeconds) {
    this.root = root;
    this.buildSeconds = buildSeconds;
  }

  /**
   * The cached tree for the current pins, built when missing (about 2 minutes with a fast mirror).
   */
  static DebianTree cached(Path cacheDir) throws IOException {
    // The pins are part of the name: a new pin builds a new tree, an old tree is never
    // half-updated.
    Path root = cacheDir.resolve("debian-" + BootScript.DEBIAN_CODENAME + "-" + fingerprint());
    Path ready = root.resolve(".proxyfleet-ready");
    if (Files.exists(ready)) {
      return new DebianTree(root, 0);
    }
    long start = System.nanoTime();
    Files.createDirectories(cacheDir);
    Path partial = cacheDir.resolve(root.getFileName() + ".partial");
    HostCommand.check("rm", "-rf", "--one-file-system", partial.toString());
    HostCommand.check(
        Duration.ofMinutes(20),
        List.of(
            "debootstrap",
            "--variant=minbase",
            "--include=" + String.join(",", IMAGE_PACKAGES),
            BootScript.DEBIAN_CODENAME,
            partial.toString(),
            MIRROR));
    // Maintainer scripts must not start daemons inside a chroot: there is no init to own them.
    Path policy = partial.resolve("usr/sbin/policy-rc.d");
    Files.writeString(
        policy,
        "#!/bin/sh\n# chroot of the ProxyFleet Debian boot test: the test starts daemons itself.\nexit 101\n");
    Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.copy(
        Path.of("/etc/resolv.conf"),
        partial.resolve("etc/resolv.conf"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    HostCommand.check(
        Duration.ofMinutes(10), List.of("chroot", partial.toString(), "apt-get", "update", "-q"));
    List<String> download =
        new ArrayList<>(
            List.of(
                "chroot",
                partial.toString(),
                "apt-get",
                "install",
                "-y",
                "-q",
                "--download-only",
                "--no-install-recommends"));
    BootScript.DEBIAN_PACKAGES.forEach((p, v) -> download.add(p + "=" + v));
    HostCommand.check(Duration.ofMinutes(10), download);
    Files.writeString(partial.resolve(".proxyfleet-ready"), "built by DebianBootTest\n");
    HostCommand.check("mv", "-T", partial.toString(), root.toString());
    return new DebianTree(root, (System.nanoTime() - start) / 1_000_000_000L);
  }

  private static String fingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, String> pin : BootScript.DEBIAN_PACKAGES.entrySet()) {
        sha.update((pin.getKey() + "=" + pin.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
      }
      sha.update(String.join(",", IMAGE_PACKAGES).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(), 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
