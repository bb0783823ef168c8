package io.proxyfleet.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * SLF4J logging as one JSON object per line on standard error ({@code time}, {@code level}, {@code
 * logger}, {@code thread}, {@code message}, and {@code exception} with the stack trace), for log
 * pipelines that parse JSON. Chosen by {@code operator --log-format=json}, which sets the {@code
 * slf4j.provider} system property to this class before anything logs; it is not registered as a
 * service, so the plain-text slf4j-simple stays the default everywhere else. The level comes from
 * the system property {@link #LEVEL_PROPERTY}.
 */
public final class JsonLogProvider implements SLF4JServiceProvider {

  public static final String LEVEL_PROPERTY = "proxyfleet.log.level";

  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new BasicMDCAdapter();
  private ILoggerFactory loggers;

  @Override
  public ILoggerFactory getLoggerFactory() {
    return loggers;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {
    Level threshold =
        Level.valueOf(System.getProperty(LEVEL_PROPERTY, "info").toUpperCase(Locale.ROOT));
    Map<String, Logger> byName = new ConcurrentHashMap<>();
    loggers = name -> byName.computeIfAbsent(name, n -> new JsonLogger(n, threshold, System.err));
  }

  /**
   * One logger; every line is written whole under the stream's lock, so threads never interleave.
   */
  static final class JsonLogger extends LegacyAbstractLogger {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final transient Level threshold;
    private final transient PrintStream out;

    JsonLogger(String name, Level threshold, PrintStream out) {
      this.name = name;
      this.threshold = threshold;
      this.out = out;
    }

    private boolean enabled(Level level) {
      // Level.toInt grows with severity: ERROR 40 ... TRACE 0.
      return level.toInt() >= threshold.toInt();
    }

    @Override
    public boolean isTraceEnabled() {
      return enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
      return enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
      return enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
      return enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
      return enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
      ObjectNode line = JSON.createObjectNode();
      line.put("time", Instant.now().toString());
      line.put("level", level.name());
      line.put("logger", name);
      line.put("thread", Thread.currentThread().getName());
      line.put("message", MessageFormatter.basicArrayFormat(pattern, arguments));
      if (throwable != null) {
        StringWriter trace = new StringWriter();
        throwable.printStackTrace(new PrintWriter(trace));
        line.put("exception", trace.toString());
      }
      out.println(line.toString());
    }
  }
}
