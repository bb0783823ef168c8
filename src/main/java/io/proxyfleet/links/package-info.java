/**
 * Links people tap or scan to use a proxy: Telegram's {@code tg://socks} and {@code tg://proxy}
 * (and their {@code https://t.me} twins), Shadowsocks SIP002 {@code ss://}, and the subscription
 * list of a fleet. Pure functions of a proxy's address and credentials; the fleet reconciler
 * publishes them in the endpoints Secret and {@code proxyfleet links} prints them.
 */
package io.proxyfleet.links;
