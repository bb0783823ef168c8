package io.proxyfleet.probe;

/** What one probe of one proxy found. */
public enum ProbeOutcome {
  /** The daemon answered its protocol and accepted the fleet's credentials. */
  PASSED(true),
  /** The daemon answered but refused the credentials: misconfigured, not blocked. */
  AUTH_REFUSED(true),
  /** Something answered on the port, but not the protocol we expect. */
  PROTOCOL_ERROR(true),
  /** No answer within the timeout: what a censor that drops packets looks like. */
  TIMEOUT(false),
  /** The connection was refused or reset: nothing listens, or a censor injects resets. */
  REFUSED(false),
  /** No route to the address. */
  UNREACHABLE(false);

  private final boolean answered;

  ProbeOutcome(boolean answered) {
    this.answered = answered;
  }

  /** Whether anything at the address answered: the path works, whatever the daemon said. */
  public boolean answered() {
    return answered;
  }
}
