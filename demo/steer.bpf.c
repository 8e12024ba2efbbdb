// SPDX-License-Identifier: GPL-2.0
/*
 * sk_lookup demo: steer every TCP connection and UDP datagram to
 * 192.0.2.0/24 (IPv4) or 2001:db8::/64 (IPv6) on a port in
 * [port_min, port_max] to one socket per protocol and family, whatever
 * address and port that socket is bound to.
 *
 * The sockets come from user space (demo/in-vm puts nginx's and dnsmasq's
 * in with `bpftool map update ... value pid PID fd FD`): the SOCKMAP holds
 * the TCP listeners at keys 0 (IPv4) and 1 (IPv6), the UDP sockets at keys
 * 2 and 3. Anything else, or a slot left empty, passes: the kernel's
 * normal bind()-based lookup carries on.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET		2
#define AF_INET6	10

/* Port range, in host byte order: the demo's, which bpftool loads as it
 * is; a libbpf loader may set another before loading.
 */
const volatile __u16 port_min = 80;
const volatile __u16 port_max = 8999;

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} server SEC(".maps");

/* Which SOCKMAP slot serves this packet's destination, or -1 for none. */
static __always_inline int server_slot(const struct bpf_sk_lookup *ctx)
{
	/* sk_lookup programs only run for TCP and UDP. */
	int udp = ctx->protocol == IPPROTO_UDP ? 2 : 0;

	if (ctx->family == AF_INET &&
	    (ctx->local_ip4 & bpf_htonl(0xffffff00)) == bpf_htonl(0xc0000200))
		return 0 + udp;	/* 192.0.2.0/24; addresses are network order */
	if (ctx->family == AF_INET6 &&
	    ctx->local_ip6[0] == bpf_htonl(0x20010db8) && ctx->local_ip6[1] == 0)
		return 1 + udp;	/* 2001:db8::/64 */
	return -1;
}

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
	struct bpf_sock *sk;
	__u32 key;
	long err;
	int slot;

	/* local_port is the destination port, in host byte order. */
	if (ctx->local_port < port_min || ctx->local_port > port_max)
		return SK_PASS;
	slot = server_slot(ctx);
	if (slot < 0)
		return SK_PASS;

	key = slot;
	sk = bpf_map_lookup_elem(&server, &key);
	if (!sk)
		return SK_PASS;
	err = bpf_sk_assign(ctx, sk, 0);
	/* The lookup took a reference (if any); drop it on every path. */
	bpf_sk_release(sk);
	/* Assignment fails e.g. for a family mismatch: refuse, do not guess. */
	return err ? SK_DROP : SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
