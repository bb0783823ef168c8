/**
 * The garbage collector: finds cloud instances and addresses carrying this operator's cluster tag
 * that no Proxy owns any more, and removes them after a minimum age, so a crash never leaks money.
 */
package io.proxyfleet.gc;
