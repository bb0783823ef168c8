/**
 * Tests against a real kube-apiserver (see {@link io.proxyfleet.testing.kube.RealKube}): CRD
 * schemas, RBAC as shipped, leader election between operator processes, crash and API-fault
 * recovery, and agreement between local mode's embedded API and the real one.
 */
package io.proxyfleet.realserver;
