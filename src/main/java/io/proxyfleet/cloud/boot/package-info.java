/**
 * Boot scripts of proxy VMs, per protocol, for every cloud adapter: pinned Debian packages or a
 * pinned, checksummed download; daemons that demand authentication and run unprivileged; egress
 * rules that keep the proxy user out of instance metadata, the VM itself and private networks,
 * except the cloud's own DNS resolver ({@link io.proxyfleet.cloud.boot.CloudDns}). Pure text
 * generation: the AWS adapter sends the script as user data, the GCP adapter as a startup script.
 */
package io.proxyfleet.cloud.boot;
