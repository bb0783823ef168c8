/**
 * An in-process Kubernetes API for local mode: the Fabric8 mock server in CRUD mode, plus the
 * discovery, OpenAPI and Table layer that real {@code kubectl} needs before it will talk to a
 * server.
 *
 * <p>The CRUD dispatcher stays the single store of objects (watches, status subresources, patches
 * and resourceVersion conflicts are its business); {@link io.proxyfleet.embedded.ApiDispatcher}
 * answers only what it cannot and hands everything else over untouched.
 *
 * <p>kubectl (1.32) works with no extra flags for {@code get} (tables with the CRDs' printer
 * columns, {@code -o json|yaml|wide|name}), {@code describe}, {@code apply} (client-side), {@code
 * create}, {@code replace}, {@code patch} (merge and JSON patch for custom resources; strategic
 * merge for built-in kinds, applied as a merge patch), {@code label}, {@code annotate}, {@code
 * delete} and {@code api-resources}. Not supported: watches over plain HTTP ({@code get -w}, {@code
 * wait}; answered with a 405 that says so), server-side apply, {@code explain} (no OpenAPI
 * schemas), and anything needing a kubelet (logs, exec).
 */
package io.proxyfleet.embedded;
