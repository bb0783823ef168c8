/**
 * The Helm chart in {@code helm/proxyfleet} and the plain manifests rendered from it, checked
 * without a cluster.
 */
package io.proxyfleet.chart;
