package io.proxyfleet.cloud.local;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.DefaultNameResolver;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loopback "cloud" itself: the 127.0.0.0/8 address space, every instance and address, and the
 * Netty event loops their proxies run on. Shared by all {@link LocalCloudProvider}s of a process,
 * so two CloudProfiles can never hand out the same address. Thread-safe.
 */
public final class LoopbackNetwork implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LoopbackNetwork.class);

  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);

  private final Clock clock;
  private final RandomGenerator random;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final EventExecutorGroup resolverExecutor;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  private final ChannelGroup listeners =
      new DefaultChannelGroup("proxy-listeners", GlobalEventExecutor.INSTANCE);
  private final ChannelGroup connections =
      new DefaultChannelGroup("proxy-connections", GlobalEventExecutor.INSTANCE);
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final LocalCensor censor = new LocalCensor();

  // Everything below is guarded by lock. Calls that bind or close sockets wait for the event loops
  // while holding it; that is safe because event-loop code never takes it.
  private final Object lock = new Object();
  private final Map<String, InstanceState> instances = new LinkedHashMap<>();
  private final Map<String, AddressState> addresses = new LinkedHashMap<>();
  private final Map<Integer, AddressState> addressesByHost = new HashMap<>();
  private long allocations;
  private boolean closed;

  /**
   * Creates the network and starts its event loops.
   *
   * @param clock decides when instances finish booting and stamps launch and allocation times
   * @param random draws addresses; a seeded generator makes the sequence of addresses repeatable
   */
  public LoopbackNetwork(Clock clock, RandomGenerator random) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.bossGroup = new NioEventLoopGroup(1, new DefaultThreadFactory("local-cloud-boss", true));
    this.workerGroup =
        new NioEventLoopGroup(2, new DefaultThreadFactory("local-cloud-worker", true));
    // Name lookups block; they get their own thread so a slow DNS server cannot stall relaying.
    this.resolverExecutor =
        new DefaultEventExecutorGroup(1, new DefaultThreadFactory("local-cloud-dns", true));
    this.resolver =
        new AddressResolverGroup<>() {
          @Override
          protected AddressResolver<InetSocketAddress> newResolver(EventExecutor ignored) {
            EventExecutor executor = resolverExecutor.next();
            return new DefaultNameResolver(executor).asAddressResolver();
          }
        };
  }

  /** The censor of this network: what it drops between the censored network and proxies. */
  public LocalCensor censor() {
    return censor;
  }

  /**
   * Stops or starts the proxy daemon of an instance while the "VM" keeps running, keeping its
   * address: a crashed daemon as the operator's health checks see it. A stopped daemon stays
   * stopped across address changes, as a dead process on a real VM would.
   *
   * @return whether the instance exists (and is not terminated)
   */
  public boolean setDaemonRunning(String instanceId, boolean running) {
    synchronized (lock) {
      checkOpen();
      InstanceState instance = instances.get(instanceId);
      if (instance == null || instance.terminated) {
        return false;
      }
      if (instance.daemonDown == !running) {
        return true;
      }
      instance.daemonDown = !running;
      if (running) {
        if (instance.address != null) {
          instance.restoreListener(this);
        }
      } else {
        instance.closeListener();
      }
      LOG.info("daemon of {} {}", instanceId, running ? "started" : "stopped");
      return true;
    }
  }

  /** Server sockets currently bound by proxies. */
  public int openListeners() {
    return (int) listeners.stream().filter(c -> c.isOpen()).count();
  }

  /** Client connections currently open on proxies (outbound connections to targets not counted). */
  public int openConnections() {
    return (int) connections.stream().filter(c -> c.isOpen()).count();
  }

  /**
   * How many times each provider operation was called since creation or the last {@link
   * #resetCallCounts()}, keyed by {@link io.proxyfleet.cloud.CloudProvider} method name ("launch",
   * "findInstance", "allocateAddress", ...). Failed calls count too, as they would on a cloud bill.
   */
  public Map<String, Long> callCounts() {
    Map<String, Long> snapshot = new TreeMap<>();
    calls.forEach((op, count) -> snapshot.put(op, count.sum()));
    return Collections.unmodifiableMap(snapshot);
  }

  /** Calls of one operation; 0 when it was never called. */
  public long callCount(String operation) {
    LongAdder count = calls.get(operation);
    return count == null ? 0 : count.sum();
  }

  /** Starts counting from zero again, e.g. at the beginning of a reconcile under test. */
  public void resetCallCounts() {
    calls.clear();
  }

  /** The clock this network reads boot completion and timestamps from. */
  public Clock clock() {
    return clock;
  }

  /** True once {@link #close()} was called. */
  public boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /**
   * Closes every listener and connection and stops the event loops. Instances and addresses are
   * forgotten with the network; every provider call afterwards fails with TRANSIENT.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      for (InstanceState instance : instances.values()) {
        instance.closeListener();
      }
    }
    long timeoutMillis = SHUTDOWN_TIMEOUT.toMillis();
    listeners.close().awaitUninterruptibly(timeoutMillis, TimeUnit.MILLISECONDS);
    connections.close().awaitUninterruptibly(timeoutMillis, TimeUnit.MILLISECONDS);
    resolver.close();
    List<Future<?>> terminations =
        List.of(
            bossGroup.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS),
            workerGroup.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS),
            resolverExecutor.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS));
    for (Future<?> termination : terminations) {
      termination.awaitUninterruptibly(timeoutMillis + 1000, TimeUnit.MILLISECONDS);
    }
  }

  // ---- Operations behind LocalCloudProvider; arguments are already validated. ----

  void recordCall(String operation) {
    calls.computeIfAbsent(operation, k -> new LongAdder()).increment();
  }

  Instance launch(LaunchSpec spec, Subnet subnet, Duration bootDelay) {
    synchronized (lock) {
      checkOpen();
      String uid = spec.owner().proxyUid();
      Optional<InstanceState> existing = liveInstance(spec.region(), uid);
      if (existing.isPresent()) {
        return existing.get().snapshot(clock.instant());
      }
      String id = newInstanceId(uid);
      InstanceState instance =
          new InstanceState(
              id, spec, subnet, immutableTags(spec.owner()), clock.instant(), bootDelay);
      instances.put(id, instance);
      LOG.debug("launched {} in {} for proxy {}", id, subnet.id(), uid);
      return instance.snapshot(clock.instant());
    }
  }

  Optional<Instance> findInstance(String region, String ownerUid) {
    synchronized (lock) {
      checkOpen();
      Instant now = clock.instant();
      return liveInstance(region, ownerUid).map(i -> i.snapshot(now));
    }
  }

  List<Instance> listInstances(String region, String cluster) {
    synchronized (lock) {
      checkOpen();
      Instant now = clock.instant();
      List<Instance> result = new ArrayList<>();
      for (InstanceState instance : instances.values()) {
        if (!instance.terminated
            && instance.region().equals(region)
            && Objects.equals(instance.tags.get(OwnerTags.CLUSTER), cluster)) {
          result.add(instance.snapshot(now));
        }
      }
      return List.copyOf(result);
    }
  }

  void terminate(String region, String instanceId) {
    synchronized (lock) {
      checkOpen();
      InstanceState instance = instances.get(instanceId);
      if (instance == null || instance.terminated || !instance.region().equals(region)) {
        return;
      }
      instance.closeListener();
      if (instance.address != null) {
        // Like an Elastic IP, the address outlives the instance; only its owner may release it.
        instance.address.instance = null;
        instance.address = null;
      }
      instance.terminated = true;
      LOG.debug("terminated {}", instanceId);
    }
  }

  Address allocate(
      String region,
      int regionNumber,
      int subnetsPerRegion,
      OptionalInt hintSubnet,
      OwnerTags owner) {
    synchronized (lock) {
      checkOpen();
      int host = -1;
      if (hintSubnet.isPresent()) {
        host = drawFreeHost(regionNumber, hintSubnet.getAsInt(), hintSubnet.getAsInt() + 1);
      }
      if (host < 0) {
        host = drawFreeHost(regionNumber, 0, subnetsPerRegion);
      }
      if (host < 0) {
        throw new CloudException(
            Reason.QUOTA_EXCEEDED,
            "region "
                + region
                + " has no free address left: all "
                + subnetsPerRegion * LocalRegions.HOSTS_PER_SUBNET
                + " are allocated; release unused addresses");
      }
      String ip = LocalRegions.ip(host);
      String id = "eipalloc-" + sha256Hex(ip + "#" + ++allocations).substring(0, 17);
      AddressState address =
          new AddressState(id, region, ip, host, immutableTags(owner), clock.instant());
      addresses.put(id, address);
      addressesByHost.put(host, address);
      LOG.debug("allocated {} ({}) for proxy {}", id, ip, owner.proxyUid());
      return address.snapshot();
    }
  }

  List<Address> listAddresses(String region, String cluster) {
    synchronized (lock) {
      checkOpen();
      List<Address> result = new ArrayList<>();
      for (AddressState address : addresses.values()) {
        if (address.region.equals(region)
            && Objects.equals(address.tags.get(OwnerTags.CLUSTER), cluster)) {
          result.add(address.snapshot());
        }
      }
      return List.copyOf(result);
    }
  }

  void associate(String region, String instanceId, String addressId) {
    synchronized (lock) {
      checkOpen();
      InstanceState instance = instances.get(instanceId);
      if (instance == null || instance.terminated || !instance.region().equals(region)) {
        throw new CloudException(
            Reason.NOT_FOUND, "instance " + instanceId + " does not exist in region " + region);
      }
      AddressState address = addresses.get(addressId);
      if (address == null || !address.region.equals(region)) {
        throw new CloudException(
            Reason.NOT_FOUND, "address " + addressId + " does not exist in region " + region);
      }
      if (address.instance == instance) {
        return;
      }
      InetSocketAddress endpoint = endpoint(address, instance.spec.port());

      // Moving an address off another instance (AWS AllowReassociation) takes its socket away
      // first: both may use the same port, and the other instance loses the address either way.
      InstanceState previousHolder = address.instance;
      if (previousHolder != null) {
        previousHolder.closeListener();
      }
      ProxyListener listener;
      try {
        listener =
            instance.daemonDown
                ? null
                : ProxyListener.bind(
                    this, endpoint, instance.spec.protocol(), instance.spec.credentials(), instanceId);
      } catch (CloudException e) {
        if (previousHolder != null) {
          previousHolder.restoreListener(this);
        }
        throw e;
      }
      if (previousHolder != null) {
        previousHolder.address = null;
        previousHolder.listener = null;
      }
      // Only now that the new socket serves is the old address burned: its listener and every
      // connection made through it go away, but the address itself stays allocated.
      AddressState oldAddress = instance.address;
      instance.closeListener();
      if (oldAddress != null) {
        oldAddress.instance = null;
      }
      instance.listener = listener;
      instance.address = address;
      address.instance = instance;
      LOG.debug("associated {} ({}) with {}", addressId, address.ip, instanceId);
    }
  }

  void release(String region, String addressId) {
    synchronized (lock) {
      checkOpen();
      AddressState address = addresses.get(addressId);
      if (address == null || !address.region.equals(region)) {
        return;
      }
      if (address.instance != null) {
        throw new CloudException(
            Reason.INVALID,
            "address "
                + addressId
                + " ("
                + address.ip
                + ") is associated with instance "
                + address.instance.id
                + "; associate another address or terminate first");
      }
      addresses.remove(addressId);
      addressesByHost.remove(address.host);
      LOG.debug("released {} ({})", addressId, address.ip);
    }
  }

  // ---- Plumbing for the proxy servers. ----

  EventLoopGroup bossGroup() {
    return bossGroup;
  }

  EventLoopGroup workerGroup() {
    return workerGroup;
  }

  AddressResolverGroup<InetSocketAddress> resolver() {
    return resolver;
  }

  ChannelGroup listeners() {
    return listeners;
  }

  ChannelGroup connections() {
    return connections;
  }

  // ---- Internals; callers hold lock. ----

  private void checkOpen() {
    if (closed) {
      throw new CloudException(Reason.TRANSIENT, "the loopback network is closed");
    }
  }

  private Optional<InstanceState> liveInstance(String region, String ownerUid) {
    for (InstanceState instance : instances.values()) {
      if (!instance.terminated
          && instance.region().equals(region)
          && Objects.equals(instance.tags.get(OwnerTags.PROXY), ownerUid)) {
        return Optional.of(instance);
      }
    }
    return Optional.empty();
  }

  /**
   * Derived from the owner so a test or a log reader can predict it; a relaunch after termination
   * gets a fresh id, so a late terminate of the old id cannot kill the new instance.
   */
  private String newInstanceId(String uid) {
    for (int generation = 0; ; generation++) {
      String seed = generation == 0 ? uid : uid + "#" + generation;
      String id = "i-" + sha256Hex(seed).substring(0, 17);
      if (!instances.containsKey(id)) {
        return id;
      }
    }
  }

  /** A uniformly drawn free host key among subnets [fromSubnet, toSubnet), or -1 if none. */
  private int drawFreeHost(int regionNumber, int fromSubnet, int toSubnet) {
    int[] free = new int[(toSubnet - fromSubnet) * LocalRegions.HOSTS_PER_SUBNET];
    int count = 0;
    for (int s = fromSubnet; s < toSubnet; s++) {
      for (int h = LocalRegions.FIRST_HOST; h <= LocalRegions.LAST_HOST; h++) {
        int key = LocalRegions.hostKey(regionNumber, s, h);
        if (!addressesByHost.containsKey(key)) {
          free[count++] = key;
        }
      }
    }
    return count == 0 ? -1 : free[random.nextInt(count)];
  }

  private static InetSocketAddress endpoint(AddressState address, int port) {
    int host = address.host;
    byte[] bytes = {127, (byte) (host >>> 16), (byte) (host >>> 8), (byte) host};
    try {
      return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are always a valid IPv4 address", e);
    }
  }

  // Not Map.copyOf: OwnerTags.asTags() writes a null Name when the proxy has no name.
  private static Map<String, String> immutableTags(OwnerTags owner) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(owner.asTags()));
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** A live or terminated instance; mutable, guarded by the network lock. */
  private static final class InstanceState {
    final String id;
    final LaunchSpec spec;
    final Subnet subnet;
    final Map<String, String> tags;
    final Instant launchedAt;
    final Duration bootDelay;
    boolean terminated;
    boolean daemonDown;
    AddressState address;
    ProxyListener listener;

    InstanceState(
        String id,
        LaunchSpec spec,
        Subnet subnet,
        Map<String, String> tags,
        Instant launchedAt,
        Duration bootDelay) {
      this.id = id;
      this.spec = spec;
      this.subnet = subnet;
      this.tags = tags;
      this.launchedAt = launchedAt;
      this.bootDelay = bootDelay;
    }

    String region() {
      return subnet.region();
    }

    void closeListener() {
      if (listener != null) {
        listener.close();
        listener = null;
      }
    }

    /** Best effort after a failed move: the address stays with this instance after all. */
    void restoreListener(LoopbackNetwork network) {
      if (daemonDown) {
        return;
      }
      try {
        listener =
            ProxyListener.bind(
                network, endpoint(address, spec.port()), spec.protocol(), spec.credentials(), id);
      } catch (CloudException e) {
        LOG.warn("instance {} lost its listener on {}: {}", id, address.ip, e.getMessage());
      }
    }

    Instance snapshot(Instant now) {
      Instance.State state;
      if (terminated) {
        state = Instance.State.TERMINATED;
      } else if (now.isBefore(launchedAt.plus(bootDelay))) {
        state = Instance.State.PENDING;
      } else {
        state = Instance.State.RUNNING;
      }
      return new Instance(
          id,
          subnet.region(),
          subnet.zone(),
          subnet.id(),
          state,
          address == null ? null : address.ip,
          address == null ? null : address.id,
          tags,
          launchedAt);
    }
  }

  /** An allocated address; mutable, guarded by the network lock. */
  private static final class AddressState {
    final String id;
    final String region;
    final String ip;
    final int host;
    final Map<String, String> tags;
    final Instant allocatedAt;
    InstanceState instance;

    AddressState(
        String id,
        String region,
        String ip,
        int host,
        Map<String, String> tags,
        Instant allocatedAt) {
      this.id = id;
      this.region = region;
      this.ip = ip;
      this.host = host;
      this.tags = tags;
      this.allocatedAt = allocatedAt;
    }

    Address snapshot() {
      return new Address(id, region, ip, instance == null ? null : instance.id, tags, allocatedAt);
    }
  }
}
