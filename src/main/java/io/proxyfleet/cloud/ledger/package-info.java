/**
 * The in-memory cloud: Elastic-IP bookkeeping of instances and addresses, shared by the local
 * provider (which adds real loopback listeners), the replay's simulated cloud (which adds simulated
 * time) and the tests' fault-injecting provider. Provider-neutral: no SDK, no sockets.
 */
package io.proxyfleet.cloud.ledger;
