package io.proxyfleet.cloud.local;

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
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.cloud.ledger.AddressPool;
import io.proxyfleet.cloud.ledger.CloudLedger;
import io.proxyfleet.cloud.ledger.LedgerIds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongPredicate;
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
  // The Elastic-IP bookkeeping; this class adds the daemons of live instances, keyed by instance
  // id.
  private final CloudLedger ledger;
  private final Map<String, Daemon> daemons = new HashMap<>();
  private boolean closed;

  /**
   * Creates the network and starts its event loops.
   *
   * @param clock decides when instances finish booting and stamps launch and allocation times
   * @param random draws addresses; a seeded generator makes the sequence of addresses repeatable
   */
  public LoopbackNetwork(Clock clock, RandomGenerator random) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ledger =
        new CloudLedger(clock, Objects.requireNonNull(random, "random"), LedgerIds.derived());
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
      Daemon daemon = daemons.get(instanceId);
      if (daemon == null) {
        return false;
      }
      if (daemon.down == !running) {
        return true;
      }
      daemon.down = !running;
      if (running) {
        String ip = ledger.instance(instanceId).map(Instance::publicIp).orElse(null);
        if (ip != null) {
          daemon.restoreListener(this, ip);
        }
      } else {
        daemon.closeListener();
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
      for (Daemon daemon : daemons.values()) {
        daemon.closeListener();
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
      Instance instance = ledger.launch(spec.owner(), subnet, bootDelay);
      if (daemons.putIfAbsent(instance.id(), new Daemon(instance.id(), spec)) == null) {
        LOG.debug(
            "launched {} in {} for proxy {}", instance.id(), subnet.id(), spec.owner().proxyUid());
      }
      return instance;
    }
  }

  Optional<Instance> findInstance(String region, String ownerUid) {
    synchronized (lock) {
      checkOpen();
      return ledger.findInstance(region, ownerUid);
    }
  }

  List<Instance> listInstances(String region, String cluster) {
    synchronized (lock) {
      checkOpen();
      return ledger.listInstances(region, cluster);
    }
  }

  void terminate(String region, String instanceId) {
    synchronized (lock) {
      checkOpen();
      // Like an Elastic IP, the address outlives the instance; only its owner may release it.
      if (ledger.terminate(region, instanceId)) {
        daemons.remove(instanceId).closeListener();
        LOG.debug("terminated {}", instanceId);
      }
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
      Address address =
          ledger.allocate(
              region, owner, new LoopbackPool(region, regionNumber, subnetsPerRegion, hintSubnet));
      LOG.debug("allocated {} ({}) for proxy {}", address.id(), address.ip(), owner.proxyUid());
      return address;
    }
  }

  List<Address> listAddresses(String region, String cluster) {
    synchronized (lock) {
      checkOpen();
      return ledger.listAddresses(region, cluster);
    }
  }

  void associate(String region, String instanceId, String addressId) {
    synchronized (lock) {
      checkOpen();
      Optional<CloudLedger.Association> plan =
          ledger.planAssociation(region, instanceId, addressId);
      if (plan.isEmpty()) {
        return;
      }
      Daemon daemon = daemons.get(instanceId);
      InetSocketAddress endpoint = endpoint(plan.get().ip(), daemon.spec.port());

      // Moving an address off another instance (AWS AllowReassociation) takes its socket away
      // first: both may use the same port, and the other instance loses the address either way.
      Daemon previousHolder =
          plan.get().previousHolderId() == null ? null : daemons.get(plan.get().previousHolderId());
      if (previousHolder != null) {
        previousHolder.closeListener();
      }
      ProxyListener listener;
      try {
        listener =
            daemon.down
                ? null
                : ProxyListener.bind(
                    this, endpoint, daemon.spec.protocol(), daemon.spec.credentials(), instanceId);
      } catch (CloudException e) {
        if (previousHolder != null) {
          previousHolder.restoreListener(this, plan.get().ip());
        }
        throw e;
      }
      // Only now that the new socket serves is the old address burned: its listener and every
      // connection made through it go away, but the address itself stays allocated.
      daemon.closeListener();
      ledger.associate(region, instanceId, addressId);
      daemon.listener = listener;
      LOG.debug("associated {} ({}) with {}", addressId, plan.get().ip(), instanceId);
    }
  }

  void release(String region, String addressId) {
    synchronized (lock) {
      checkOpen();
      Optional<Address> address = ledger.address(addressId);
      if (ledger.release(region, addressId)) {
        LOG.debug("released {} ({})", addressId, address.map(Address::ip).orElse("?"));
      }
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

  private static InetSocketAddress endpoint(String ip, int port) {
    long v = IpAddresses.parseIpv4(ip);
    byte[] bytes = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    try {
      return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are always a valid IPv4 address", e);
    }
  }

  /**
   * Hosts .1 to .254 of the region's subnets: the hinted subnet first, then the whole region, each
   * drawn uniformly among the free hosts.
   */
  private record LoopbackPool(
      String region, int regionNumber, int subnetsPerRegion, OptionalInt hintSubnet)
      implements AddressPool {

    @Override
    public long draw(RandomGenerator random, LongPredicate allocated) {
      long ip = -1;
      if (hintSubnet.isPresent()) {
        ip = drawFreeHost(random, allocated, hintSubnet.getAsInt(), hintSubnet.getAsInt() + 1);
      }
      if (ip < 0) {
        ip = drawFreeHost(random, allocated, 0, subnetsPerRegion);
      }
      if (ip < 0) {
        throw new CloudException(
            Reason.QUOTA_EXCEEDED,
            "region "
                + region
                + " has no free address left: all "
                + subnetsPerRegion * LocalRegions.HOSTS_PER_SUBNET
                + " are allocated; release unused addresses");
      }
      return ip;
    }

    /** A uniformly drawn free address among subnets [fromSubnet, toSubnet), or -1 if none. */
    private long drawFreeHost(
        RandomGenerator random, LongPredicate allocated, int fromSubnet, int toSubnet) {
      long[] free = new long[(toSubnet - fromSubnet) * LocalRegions.HOSTS_PER_SUBNET];
      int count = 0;
      for (int s = fromSubnet; s < toSubnet; s++) {
        for (int h = LocalRegions.FIRST_HOST; h <= LocalRegions.LAST_HOST; h++) {
          long ip = (127L << 24) | LocalRegions.hostKey(regionNumber, s, h);
          if (!allocated.test(ip)) {
            free[count++] = ip;
          }
        }
      }
      return count == 0 ? -1 : free[random.nextInt(count)];
    }
  }

  /**
   * The proxy daemon of a live instance, bound to its address while it has one and runs; mutable,
   * guarded by the network lock.
   */
  private final class Daemon {
    final String instanceId;
    final LaunchSpec spec;
    boolean down;
    ProxyListener listener;

    Daemon(String instanceId, LaunchSpec spec) {
      this.instanceId = instanceId;
      this.spec = spec;
    }

    void closeListener() {
      if (listener != null) {
        listener.close();
        listener = null;
      }
    }

    /** Binds the daemon to {@code ip} again: after a failed move, or when it is started. */
    void restoreListener(LoopbackNetwork network, String ip) {
      if (down) {
        return;
      }
      try {
        listener =
            ProxyListener.bind(
                network,
                endpoint(ip, spec.port()),
                spec.protocol(),
                spec.credentials(),
                instanceId);
      } catch (CloudException e) {
        LOG.warn("instance {} lost its listener on {}: {}", instanceId, ip, e.getMessage());
      }
    }
  }
}
