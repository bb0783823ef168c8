package io.proxyfleet.cli;

/**
 * A command-line argument names something unusable; the message says which and how to fix it (exit
 * 2).
 */
final class UsageException extends Exception {
  static final int EXIT_CODE = 2;

  UsageException(String message) {
    super(message);
  }
}
