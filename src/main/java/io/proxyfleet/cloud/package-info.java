/**
 * The one interface between the reconcilers and a cloud: subnets, instances and public addresses,
 * all found again by the ownership tags this operator writes. Adapters live in sub-packages;
 * nothing outside an adapter package imports a cloud SDK.
 */
package io.proxyfleet.cloud;
