// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark programs for the sk_lookup hook.
 *
 * pass:      returns SK_PASS without looking at anything; what the hook
 *            costs for traffic no program claims.
 * disp_one:  a dispatcher in the style of tubular: the destination
 * disp_many  (protocol, port, address prefix) is looked up in an LPM trie
 *            of bindings, one trie per address family, whose value is a
 *            slot of the SOCKMAP "sockets"; the socket in that slot
 *            receives the packet. disp_one reads tries holding one binding,
 *            disp_many tries holding 100,000.
 * disp_regular: disp_one after asking bpf_sk_lookup_regular() (patch 32 of
 *            the series) whether a socket is bound for the destination, as
 *            a dispatcher that lets explicit binds win does; BPF_PROG_TEST_RUN
 *            only, on kernels that have the kfunc (skbench checks).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

/* The kfunc returns the kernel's struct sock, only handled by pointer here;
 * libbpf checks the prototype against a struct, not a forward declaration.
 */
struct sock {
	int opaque;
};

extern struct sock *bpf_sk_lookup_regular(struct bpf_sk_lookup *ctx) __ksym __weak;

/* LPM trie key. The prefix covers protocol, pad and port (32 bits) and
 * then prefixlen - 32 bits of the address; everything in network order.
 */
struct bind_key {
	__u32 prefixlen;
	__u8 protocol;
	__u8 pad;
	__be16 port;
	__be32 addr;
};

/* The same for IPv6: prefixlen - 32 bits of the 128-bit address. */
struct bind_key6 {
	__u32 prefixlen;
	__u8 protocol;
	__u8 pad;
	__be16 port;
	__be32 addr[4];
};

#define TRIE(name, key_type, size)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__uint(max_entries, size);				\
		__type(key, key_type);					\
		__type(value, __u32);					\
	} name SEC(".maps")

TRIE(bind_one, struct bind_key, 16);
TRIE(bind_many, struct bind_key, 524288);	/* udp, tcp, udp46, tcp46 */
TRIE(bind6_one, struct bind_key6, 16);
TRIE(bind6_many, struct bind_key6, 262144);

/* one slot per flood (skbench's enum proto) */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} sockets SEC(".maps");

SEC("sk_lookup")
int pass(struct bpf_sk_lookup *ctx)
{
	return SK_PASS;
}

static __always_inline int dispatch(struct bpf_sk_lookup *ctx, void *bindings,
				    void *bindings6)
{
	struct bpf_sock *sk;
	__u32 *slot;
	long err;

	if (ctx->family == AF_INET) {
		struct bind_key key = {
			.prefixlen = 64,
			.protocol = ctx->protocol,
			.port = bpf_htons(ctx->local_port),
			.addr = ctx->local_ip4,
		};

		slot = bpf_map_lookup_elem(bindings, &key);
	} else {
		struct bind_key6 key = {
			.prefixlen = 160,
			.protocol = ctx->protocol,
			.port = bpf_htons(ctx->local_port),
			.addr = { ctx->local_ip6[0], ctx->local_ip6[1],
				  ctx->local_ip6[2], ctx->local_ip6[3] },
		};

		slot = bpf_map_lookup_elem(bindings6, &key);
	}
	if (!slot)
		return SK_PASS;		/* not ours: bind()-based lookup */
	sk = bpf_map_lookup_elem(&sockets, slot);
	if (!sk)
		return SK_DROP;		/* bound, but the service is down */
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

SEC("sk_lookup")
int disp_one(struct bpf_sk_lookup *ctx)
{
	return dispatch(ctx, &bind_one, &bind6_one);
}

SEC("sk_lookup")
int disp_many(struct bpf_sk_lookup *ctx)
{
	return dispatch(ctx, &bind_many, &bind6_many);
}

SEC("sk_lookup")
int disp_regular(struct bpf_sk_lookup *ctx)
{
	struct sock *sk = bpf_sk_lookup_regular(ctx);

	if (sk) {
		bpf_sk_release(sk);
		return SK_PASS;		/* bound: that socket gets it */
	}
	return dispatch(ctx, &bind_one, &bind6_one);
}

char _license[] SEC("license") = "GPL";
