/** An in-memory cloud with fault switches for controller unit tests, over the shared ledger. */
package io.proxyfleet.testing.cloud;
