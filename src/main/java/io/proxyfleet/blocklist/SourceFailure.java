package io.proxyfleet.blocklist;

/** A failed attempt to read a source: the reason and a message naming what to fix. */
public record SourceFailure(FailureReason reason, String message) {}
