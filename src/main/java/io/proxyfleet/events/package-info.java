/** Kubernetes Events for what on-call engineers need to see in {@code kubectl describe}. */
package io.proxyfleet.events;
