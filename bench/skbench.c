// SPDX-License-Identifier: GPL-2.0
/*
 * skbench: UDP flood and TCP SYN flood through the socket lookup, with and
 * without sk_lookup programs or nftables TPROXY, on loopback.
 *
 * Runs as root inside the VM, in a network namespace prepared by
 * bench/in-vm. Packets are built once (IPv4 headers included) and sent
 * with sendmmsg() on a raw socket. Loopback receives each one in the
 * softirq raised by the send, on the same CPU, so the time a batch takes
 * is the cost of sending and receiving it; under QEMU -icount shift=0
 * one guest nanosecond is one guest instruction.
 *
 * Floods (-p): udp and tcp over IPv4, udp6 and tcp6 over IPv6, udp46 and
 * tcp46 over IPv4 to IPv6 sockets that take IPv4 too (dual-stack).
 *
 * Receivers: UDP sockets with a socket filter dropping every datagram
 * right after the lookup (counted in Udp InErrors, Udp6InErrors for IPv6
 * packets), TCP listeners answering with SYN cookies
 * (net.ipv4.tcp_syncookies=2, which IPv6 follows too; counted in TcpExt
 * SyncookiesSent). Each flood has its own service port (UDP 7000, 7010,
 * 7020; TCP 80, 90, 100, for the IPv4, IPv6 and dual-stack floods):
 *   the service socket, bound to the wildcard address and that port,
 *       exists only for the none, pass and other variants, where the bind()
 *       lookup finds it;
 *   the steering target, on the next port (127.0.0.1, ::1, or the
 *       dual-stack wildcard), which the bind() lookup never finds for these
 *       packets, is where the dispatcher and TPROXY send them. A packet
 *       they fail to steer finds no socket and is not counted, so
 *       "received == packets" proves the steering.
 * Destinations are 10.1.0.0 + i or 2001:db8:1:: + i, i < nbind (-b,
 * 100,000 by default), made local by bench/in-vm; the sources
 * (198.18.0.0/16, 2001:db8:ff::/64) are routed to a dummy device, which
 * drops the SYN-ACKs after the whole output path.
 *
 * Variants:
 *   none        no program: the bind()-based lookup finds the wildcard socket
 *   pass        sk_lookup program returning SK_PASS, then the regular lookup
 *   disp1       dispatcher, one binding (10.0.0.0/8 or 2001:db8::/32, port)
 *               selects the socket
 *   disp100k    dispatcher, nbind /32 (/128) bindings, traffic spread over them
 *   tproxy1     nftables TPROXY, one rule for the prefix and the port
 *   tproxy100k  nftables TPROXY, the nbind addresses in a set (the rule
 *               names the port); IPv4 packets only
 *   other       no program here, the pass program attached in another
 *               network namespace, one of -N (1,000 by default) that
 *               skbench creates: what the hook costs namespaces without
 *               programs once one has some (the static key is global)
 *
 * Prints one JSON object per line: a "run" per variant and repetition, a
 * "test_run" per program (BPF_PROG_TEST_RUN, ns per run), "setup" times
 * and the "clock" (clocksource) the times were read from.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "disp.skel.h"

#define UDP_PORT	7000
#define TCP_PORT	80
#define STEER_OFF	1	/* target port = service port + 1 */
#define BATCH		64
#define PKT_MAX		96
#define UDP_PAYLOAD	18
#define SETTLE_US	200000

/* One flood per transport and address family. "46": IPv4 packets to
 * IPv6 sockets that take IPv4 too. The bench report keys on the names.
 */
enum proto { P_UDP, P_TCP, P_UDP6, P_TCP6, P_UDP46, P_TCP46, P_NR };
static const char *const proto_name[P_NR] = {
	"udp", "tcp", "udp6", "tcp6", "udp46", "tcp46",
};

static bool is_udp(enum proto p)
{
	return p == P_UDP || p == P_UDP6 || p == P_UDP46;
}

/* The packets' family; the sockets' is AF_INET6 for the "46" floods. */
static bool pkt_v6(enum proto p)
{
	return p == P_UDP6 || p == P_TCP6;
}

static bool sock_v6(enum proto p)
{
	return p >= P_UDP6;
}

enum variant { V_NONE, V_PASS, V_DISP1, V_DISP100K,
	       V_TPROXY1, V_TPROXY100K, V_OTHER, V_NR };
static const char *const variant_name[V_NR] = {
	"none", "pass", "disp1", "disp100k", "tproxy1", "tproxy100k", "other",
};

static const char *kernel = "unknown", *mode = "unknown";
static int boot;	/* -i: which boot of this kernel, for the report */
static unsigned int nbind = 100000;	/* -b: bindings, destinations */
static struct disp_bpf *skel;
static int netns_fd = -1;
static unsigned int nother = 1000;	/* -N: network namespaces for "other" */
static int other_fd = -1;		/* the one with a program */

static void die(const char *fmt, ...)
{
	va_list ap;

	int err = errno;

	fputs("skbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Internet checksum of a buffer, folded, starting from a partial sum. */
static uint16_t csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Sum of the IPv4 pseudo header, for the transport checksum. */
static uint32_t pseudo_sum(const struct iphdr *ip, uint16_t len)
{
	uint32_t s = ntohl(ip->saddr), d = ntohl(ip->daddr);

	return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) +
	       ip->protocol + len;
}

/* Sum of the IPv6 pseudo header, for the transport checksum. */
static uint32_t pseudo_sum6(const struct ip6_hdr *ip6, uint16_t len)
{
	const uint8_t *a = (const uint8_t *)&ip6->ip6_src;
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 32; i += 2)	/* source and destination */
		sum += a[i] << 8 | a[i + 1];
	return sum + len + ip6->ip6_nxt;
}

/* The destination of packet i: 10.1.0.0 + i, or 2001:db8:1:: + i. */
static void dst_addr(enum proto p, unsigned int i, void *addr)
{
	if (pkt_v6(p)) {
		struct in6_addr *a6 = addr;

		inet_pton(AF_INET6, "2001:db8:1::", a6);
		a6->s6_addr32[3] = htonl(i);
	} else {
		*(uint32_t *)addr = htonl(0x0a010000 + i);
	}
}

struct flood {
	uint8_t (*pkt)[PKT_MAX];
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} *dst;
	struct iovec *iov;
	struct mmsghdr *msg;
	unsigned int n;
};

static int port_of(enum proto p)
{
	int fam = p / 2;	/* 0: IPv4, 1: IPv6, 2: dual-stack */

	return (is_udp(p) ? UDP_PORT : TCP_PORT) + 10 * fam;
}

/* The transport header and its checksum, after an IP header whose
 * pseudo-header sum is psum; returns its length.
 */
static uint16_t l4_build(enum proto p, void *l4, unsigned int i,
			 uint32_t (*psum)(const void *ip, uint16_t len),
			 const void *ip)
{
	uint16_t l4len;

	if (is_udp(p)) {
		struct udphdr *uh = l4;

		l4len = sizeof(*uh) + UDP_PAYLOAD;
		uh->source = htons(10000 + i % 50000);
		uh->dest = htons(port_of(p));
		uh->len = htons(l4len);
		memset(uh + 1, 'x', UDP_PAYLOAD);
		uh->check = csum(uh, l4len, psum(ip, l4len));
	} else {
		struct tcphdr *th = l4;

		l4len = sizeof(*th);
		th->source = htons(10000 + i % 50000);
		th->dest = htons(port_of(p));
		th->seq = htonl(i * 2654435761u);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(65535);
		th->check = csum(th, l4len, psum(ip, l4len));
	}
	return l4len;
}

static uint32_t psum4(const void *ip, uint16_t len)
{
	return pseudo_sum(ip, len);
}

static uint32_t psum6(const void *ip6, uint16_t len)
{
	return pseudo_sum6(ip6, len);
}

/* nbind packets, one per destination, with varying sources. */
static void flood_build(struct flood *f, enum proto p)
{
	uint8_t l4proto = is_udp(p) ? IPPROTO_UDP : IPPROTO_TCP;
	unsigned int i;

	f->n = nbind;
	f->pkt = calloc(f->n, sizeof(*f->pkt));
	f->dst = calloc(f->n, sizeof(*f->dst));
	f->iov = calloc(f->n, sizeof(*f->iov));
	f->msg = calloc(f->n, sizeof(*f->msg));
	if (!f->pkt || !f->dst || !f->iov || !f->msg)
		die("out of memory");

	for (i = 0; i < f->n; i++) {
		size_t len;

		if (pkt_v6(p)) {
			struct ip6_hdr *ip6 = (struct ip6_hdr *)f->pkt[i];
			uint16_t l4len;

			ip6->ip6_flow = htonl(6u << 28);
			ip6->ip6_nxt = l4proto;
			ip6->ip6_hlim = 64;
			inet_pton(AF_INET6, "2001:db8:ff::", &ip6->ip6_src);
			ip6->ip6_src.s6_addr32[3] = htonl(i & 0xffff);
			dst_addr(p, i, &ip6->ip6_dst);
			l4len = l4_build(p, ip6 + 1, i, psum6, ip6);
			ip6->ip6_plen = htons(l4len);
			len = sizeof(*ip6) + l4len;
			/* raw IPv6 sockets take the port as a protocol: 0 */
			f->dst[i].in6.sin6_family = AF_INET6;
			f->dst[i].in6.sin6_addr = ip6->ip6_dst;
		} else {
			struct iphdr *ip = (struct iphdr *)f->pkt[i];
			uint16_t l4len;

			ip->version = 4;
			ip->ihl = 5;
			ip->ttl = 64;
			ip->id = htons(i);
			ip->protocol = l4proto;
			ip->saddr = htonl(0xc6120000 | (i & 0xffff));	/* 198.18/16 */
			dst_addr(p, i, &ip->daddr);
			l4len = l4_build(p, ip + 1, i, psum4, ip);
			ip->tot_len = htons(sizeof(*ip) + l4len);
			ip->check = csum(ip, sizeof(*ip), 0);
			len = sizeof(*ip) + l4len;
			f->dst[i].in.sin_family = AF_INET;
			f->dst[i].in.sin_addr.s_addr = ip->daddr;
		}
		f->iov[i].iov_base = f->pkt[i];
		f->iov[i].iov_len = len;
		f->msg[i].msg_hdr.msg_name = &f->dst[i];
		f->msg[i].msg_hdr.msg_namelen = pkt_v6(p) ? sizeof(f->dst[i].in6) :
							    sizeof(f->dst[i].in);
		f->msg[i].msg_hdr.msg_iov = &f->iov[i];
		f->msg[i].msg_hdr.msg_iovlen = 1;
	}
}

/* Send count packets, going round the flood's destinations. */
static void flood_send(int fd, const struct flood *f, unsigned int *next,
		       unsigned long count)
{
	while (count) {
		unsigned int n = BATCH;
		int sent;

		if (n > count)
			n = count;
		if (n > f->n - *next)
			n = f->n - *next;
		sent = sendmmsg(fd, &f->msg[*next], n, 0);
		if (sent <= 0)
			die("sendmmsg");
		count -= sent;
		*next = (*next + sent) % f->n;
	}
}

/* A counter from /proc/net/snmp or /proc/net/netstat, as nstat reads it. */
static unsigned long long counter(const char *file, const char *group,
				  const char *name)
{
	static char head[16384], vals[16384];
	char *hs, *vs, *h, *v;
	size_t glen = strlen(group);
	FILE *fp = fopen(file, "r");

	if (!fp)
		die("open %s", file);
	while (fgets(head, sizeof(head), fp) && fgets(vals, sizeof(vals), fp)) {
		if (strncmp(head, group, glen) || head[glen] != ':')
			continue;
		h = strtok_r(head + glen + 1, " \n", &hs);
		v = strtok_r(vals + glen + 1, " \n", &vs);
		for (; h && v; h = strtok_r(NULL, " \n", &hs),
			       v = strtok_r(NULL, " \n", &vs)) {
			if (!strcmp(h, name)) {
				fclose(fp);
				return strtoull(v, NULL, 10);
			}
		}
	}
	errno = 0;
	die("no counter %s %s in %s", group, name, file);
	return 0;
}

/* A counter of /proc/net/snmp6: one "name value" per line. */
static unsigned long long counter6(const char *name)
{
	char line[256], n[128];
	unsigned long long v;
	FILE *fp = fopen("/proc/net/snmp6", "r");

	if (!fp)
		die("open /proc/net/snmp6");
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%127s %llu", n, &v) == 2 && !strcmp(n, name)) {
			fclose(fp);
			return v;
		}
	}
	errno = 0;
	die("no counter %s in /proc/net/snmp6", name);
	return 0;
}

/* Packets that reached a receiver: where UDP counts the filter's drops
 * (by the packet's family), or the SYN cookies TCP answered with.
 */
static unsigned long long received(enum proto p)
{
	if (!is_udp(p))
		return counter("/proc/net/netstat", "TcpExt", "SyncookiesSent");
	if (pkt_v6(p))
		return counter6("Udp6InErrors");
	return counter("/proc/net/snmp", "Udp", "InErrors");
}

/* A receiver on the flood's wildcard address (wild) or its steering
 * target, port_of(p) + STEER_OFF: 127.0.0.1, ::1, or the dual-stack
 * wildcard.
 */
static int receiver(enum proto p, bool wild, int port)
{
	struct sockaddr_in a4 = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(wild ? INADDR_ANY : INADDR_LOOPBACK),
	};
	struct sockaddr_in6 a6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
		.sin6_addr = wild || p >= P_UDP46 ? in6addr_any : in6addr_loopback,
	};
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog fprog = { .len = 1, .filter = &drop };
	int one = 1, v6only = pkt_v6(p), fd;
	bool v6 = sock_v6(p);

	fd = socket(v6 ? AF_INET6 : AF_INET, is_udp(p) ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	/* TPROXY only hands packets to transparent sockets. */
	if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("IP_TRANSPARENT, SO_REUSEADDR");
	if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
		die("IPV6_V6ONLY");
	if (v6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
		 bind(fd, (struct sockaddr *)&a4, sizeof(a4)))
		die("bind %s port %d", proto_name[p], port);
	if (is_udp(p) &&
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)))
		die("SO_ATTACH_FILTER");
	if (!is_udp(p) && listen(fd, 4096))
		die("listen");
	return fd;
}

static void nft(const char *script)
{
	FILE *fp = popen("nft -f -", "w");

	if (!fp)
		die("popen nft");
	fputs(script, fp);
	if (pclose(fp)) {
		errno = 0;
		die("nft failed on: %.120s", script);
	}
}

/* The nbind IPv4 addresses, for tproxy100k; loaded once. Text for nft -f
 * is slow to parse under emulation (tens of thousands of instructions per
 * element, far more for IPv6, whose floods therefore have no set), so one
 * set of addresses serves both protocols.
 */
static void nft_load_set(void)
{
	size_t len = 256 + (size_t)nbind * 16, off;
	char *s = malloc(len), a[INET_ADDRSTRLEN];
	uint32_t addr;
	unsigned int i;

	if (!s)
		die("out of memory");
	off = snprintf(s, len,
		       "add table ip skbench\n"
		       "add set ip skbench bindings { type ipv4_addr; size %u; }\n"
		       "add element ip skbench bindings { ", nbind);
	for (i = 0; i < nbind; i++) {
		dst_addr(P_UDP, i, &addr);
		inet_ntop(AF_INET, &addr, a, sizeof(a));
		off += snprintf(s + off, len - off, "%s, ", a);
	}
	snprintf(s + off, len - off, "}\n");
	nft(s);
	free(s);
}

static void tproxy_add(enum proto p, bool many)
{
	int port = port_of(p), to = port + STEER_OFF;
	const char *l4 = is_udp(p) ? "udp" : "tcp";
	const char *fam = pkt_v6(p) ? "ip6" : "ip";
	char s[512], daddr[64], target[64];

	if (many)	/* the set: IPv4 only */
		snprintf(daddr, sizeof(daddr), "ip daddr @bindings");
	else
		snprintf(daddr, sizeof(daddr), "%s", pkt_v6(p) ?
			 "ip6 daddr 2001:db8::/32" : "ip daddr 10.0.0.0/8");
	/* the dual-stack target takes IPv4 as 127.0.0.1 too */
	snprintf(target, sizeof(target), pkt_v6(p) ? "[::1]:%d" : "127.0.0.1:%d", to);
	snprintf(s, sizeof(s),
		 "add chain %s skbench pre { type filter hook prerouting priority mangle; }\n"
		 "add rule %s skbench pre %s %s dport %d tproxy to %s\n",
		 fam, fam, daddr, l4, port, target);
	nft(s);
}

static void tproxy_del(enum proto p)
{
	nft(pkt_v6(p) ? "flush chain ip6 skbench pre\ndelete chain ip6 skbench pre\n" :
			"flush chain ip skbench pre\ndelete chain ip skbench pre\n");
}

/* A binding: the flood's protocol and port, an address prefix. */
static void bind_add(enum proto p, bool many, const void *addr, int plen)
{
	struct {
		uint32_t prefixlen;
		uint8_t protocol, pad;
		uint16_t port;
		uint8_t addr[16];
	} key = {
		.prefixlen = 32 + plen,
		.protocol = is_udp(p) ? IPPROTO_UDP : IPPROTO_TCP,
		.port = htons(port_of(p)),
	};
	struct bpf_map *m = pkt_v6(p) ? (many ? skel->maps.bind6_many : skel->maps.bind6_one) :
					(many ? skel->maps.bind_many : skel->maps.bind_one);
	uint32_t slot = p;

	memcpy(key.addr, addr, pkt_v6(p) ? 16 : 4);
	if (bpf_map_update_elem(bpf_map__fd(m), &key, &slot, BPF_NOEXIST))
		die("binding update");
}

static void bpf_setup(const int target[P_NR], const bool protos[P_NR])
{
	uint8_t prefix[16], addr[16];
	uint32_t p, i;

	for (p = 0; p < P_NR; p++) {
		uint64_t fd = target[p];

		if (!protos[p])
			continue;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.sockets), &p,
					&fd, BPF_ANY))
			die("sockmap update");
		inet_pton(pkt_v6(p) ? AF_INET6 : AF_INET,
			  pkt_v6(p) ? "2001:db8::" : "10.0.0.0", prefix);
		bind_add(p, false, prefix, pkt_v6(p) ? 32 : 8);
		for (i = 0; i < nbind; i++) {
			dst_addr(p, i, addr);
			bind_add(p, true, addr, pkt_v6(p) ? 128 : 32);
		}
	}
}

static struct bpf_program *variant_prog(enum variant v)
{
	switch (v) {
	case V_PASS:
		return skel->progs.pass;
	case V_DISP1:
		return skel->progs.disp_one;
	case V_DISP100K:
		return skel->progs.disp_many;
	case V_OTHER:
		return skel->progs.pass;
	default:
		return NULL;
	}
}

/* Put variant v in place; return what to undo it with. */
static struct bpf_link *variant_on(enum variant v, enum proto p)
{
	struct bpf_program *prog = variant_prog(v);
	struct bpf_link *link;

	if (v == V_TPROXY1 || v == V_TPROXY100K)
		tproxy_add(p, v == V_TPROXY100K);
	if (!prog)
		return NULL;
	link = bpf_program__attach_netns(prog, v == V_OTHER ? other_fd : netns_fd);
	if (!link)
		die("attach %s", variant_name[v]);
	return link;
}

static void variant_off(enum variant v, enum proto p, struct bpf_link *link)
{
	if (v == V_TPROXY1 || v == V_TPROXY100K)
		tproxy_del(p);
	bpf_link__destroy(link);
}

/* nother network namespaces, kept by their fds; the last one gets the
 * "other" variant's program. Back in our own namespace afterwards.
 */
static void make_others(void)
{
	struct rlimit rl = { nother + 4096, nother + 4096 };
	unsigned int i;
	int fd = -1;

	/* an fd per namespace keeps it alive */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE %u", nother + 4096);

	for (i = 0; i < nother; i++) {
		if (unshare(CLONE_NEWNET))
			die("unshare(CLONE_NEWNET), namespace %u", i);
		fd = open("/proc/self/ns/net", O_RDONLY);
		if (fd < 0)
			die("open /proc/self/ns/net");
	}
	other_fd = fd;
	if (setns(netns_fd, CLONE_NEWNET))
		die("setns back");
}

/* Does the running kernel's BTF have this function (a kfunc, say)? */
static bool kernel_has_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}

static void test_run(enum proto p, unsigned int repeat)
{
	/* disp1r: disp_regular, where loaded; BPF_PROG_TEST_RUN only */
	static const enum variant vs[] = { V_PASS, V_DISP1, V_DISP100K, V_NR };
	struct bpf_sk_lookup ctx = {
		.family = AF_INET,
		.protocol = is_udp(p) ? IPPROTO_UDP : IPPROTO_TCP,
		.remote_ip4 = htonl(0xc6120001),
		.remote_port = htons(10000),
		.local_ip4 = htonl(0x0a010000 + nbind / 2),
		.local_port = port_of(p),
	};
	unsigned int i;

	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = repeat);
		const char *name = vs[i] == V_NR ? "disp1r" : variant_name[vs[i]];
		int fd = bpf_program__fd(vs[i] == V_NR ? skel->progs.disp_regular :
					 variant_prog(vs[i]));

		if (fd < 0)
			continue;
		if (bpf_prog_test_run_opts(fd, &o))
			die("BPF_PROG_TEST_RUN %s", name);
		printf("{\"type\":\"test_run\",\"kernel\":\"%s\",\"mode\":\"%s\","
		       "\"boot\":%d,\"proto\":\"%s\",\"variant\":\"%s\",\"repeat\":%u,"
		       "\"retval\":%u,\"ns_per_run\":%u}\n",
		       kernel, mode, boot, proto_name[p], name, repeat,
		       o.retval, o.duration);
	}
}

static void setup_time(const char *what, uint64_t t0)
{
	printf("{\"type\":\"setup\",\"kernel\":\"%s\",\"mode\":\"%s\","
	       "\"boot\":%d,\"what\":\"%s\",\"ns\":%llu}\n", kernel, mode, boot, what,
	       (unsigned long long)(now_ns() - t0));
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: skbench [-k KERNEL] [-m MODE] [-r REPS] [-n PACKETS] [-w WARMUP]\n"
		"               [-p FLOOD,...] [-t TEST_RUN_REPEAT] [-b BINDINGS] [-i BOOT]\n"
		"               [-N NETNS] [VARIANT...]\n"
		"floods: udp tcp udp6 tcp6 udp46 tcp46 (default: all)\n");
	exit(2);
}

/* The clock the figures are read from: "tsc", or a coarse fallback. */
static void print_clock(void)
{
	char cs[64] = "unknown";
	FILE *fp = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	if (fp) {
		if (fscanf(fp, "%63s", cs) != 1)
			strcpy(cs, "unknown");
		fclose(fp);
	}
	printf("{\"type\":\"clock\",\"kernel\":\"%s\",\"mode\":\"%s\","
	       "\"boot\":%d,\"clocksource\":\"%s\"}\n", kernel, mode, boot, cs);
}

/* Wait (up to 100 ms) for packets still in flight to be counted. */
static unsigned long long received_since(enum proto p, unsigned long long from,
					 unsigned long want)
{
	unsigned long long got = received(p) - from;
	int i;

	for (i = 0; got < want && i < 100; i++) {
		usleep(1000);
		got = received(p) - from;
	}
	return got;
}

int main(int argc, char **argv)
{
	unsigned long packets = 20000, warmup = 2000;
	unsigned int reps = 5, trun = 100000, next;
	bool want[V_NR] = { }, protos[P_NR], have_bpf, v4 = false, v6 = false;
	int target[P_NR], raw[P_NR], raw4, raw6, c, r, i, p;
	static struct flood fl[P_NR];
	char *tok, *save;
	uint64_t t0;

	for (p = 0; p < P_NR; p++)
		protos[p] = true;
	while ((c = getopt(argc, argv, "k:m:r:n:w:p:t:b:i:N:")) != -1) {
		switch (c) {
		case 'k': kernel = optarg; break;
		case 'm': mode = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 'n': packets = strtoul(optarg, NULL, 10); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 't': trun = atoi(optarg); break;
		case 'b': nbind = strtoul(optarg, NULL, 10); break;
		case 'i': boot = atoi(optarg); break;
		case 'N': nother = strtoul(optarg, NULL, 10); break;
		case 'p':
			memset(protos, 0, sizeof(protos));
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				for (p = 0; p < P_NR && strcmp(tok, proto_name[p]); p++)
					;
				if (p == P_NR)
					usage();
				protos[p] = true;
			}
			break;
		default: usage();
		}
	}
	for (i = optind; i < argc; i++) {
		for (c = 0; c < V_NR && strcmp(argv[i], variant_name[c]); c++)
			;
		if (c == V_NR)
			usage();
		want[c] = true;
	}
	if (optind == argc)
		for (c = 0; c < V_NR; c++)
			want[c] = true;
	if (!nbind || !packets || !nother)
		usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	netns_fd = open("/proc/self/ns/net", O_RDONLY);
	/* IPPROTO_RAW: the packets carry their IP header (IPv6 too) */
	raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	raw6 = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (netns_fd < 0 || raw4 < 0 || raw6 < 0)
		die("netns or raw socket");
	for (p = 0; p < P_NR; p++) {
		if (!protos[p])
			continue;
		raw[p] = pkt_v6(p) ? raw6 : raw4;
		v6 |= pkt_v6(p);
		v4 |= !pkt_v6(p);
		target[p] = receiver(p, false, port_of(p) + STEER_OFF);
		flood_build(&fl[p], p);
	}

	/* The program variants need a kernel with sk_lookup (not the base);
	 * asked for by name on one without it, they are an error.
	 */
	have_bpf = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SK_LOOKUP, NULL) == 1;
	if (!have_bpf) {
		for (c = V_PASS; c < V_NR; c++) {
			if (c == V_TPROXY1 || c == V_TPROXY100K)
				continue;
			if (want[c] && optind < argc) {
				errno = 0;
				die("%s: this kernel has no sk_lookup", variant_name[c]);
			}
			want[c] = false;
		}
	} else {
		t0 = now_ns();
		skel = disp_bpf__open();
		if (!skel)
			die("opening disp.bpf.o");
		/* disp_regular needs the series' bpf_sk_lookup_regular() */
		if (!kernel_has_func("bpf_sk_lookup_regular"))
			bpf_program__set_autoload(skel->progs.disp_regular, false);
		if (disp_bpf__load(skel))
			die("loading disp.bpf.o");
		bpf_setup(target, protos);
		setup_time("bpf maps, nbind bindings per flood", t0);
		/* (the program's IPv4 path; test runs take no packet) */
		for (p = P_UDP; p <= P_TCP; p++)
			if (protos[p])
				test_run(p, trun);
	}
	if (want[V_OTHER]) {
		t0 = now_ns();
		make_others();
		setup_time("network namespaces for other", t0);
	}
	if (want[V_TPROXY100K] && v4) {
		t0 = now_ns();
		nft_load_set();	/* (creates the ip table) */
		setup_time("nft set, nbind elements", t0);
	} else if (want[V_TPROXY1] && v4) {
		nft("add table ip skbench\n");
	}
	if ((want[V_TPROXY1] || want[V_TPROXY100K]) && v6)
		nft("add table ip6 skbench\n");

	/* IPv6 allocates state for each destination the first time a packet
	 * goes there (in the guest, /proc/net/rt6_stats' allocations grow by
	 * 5,101 over a flood to 5,000 new addresses, and stay), 1,500
	 * instructions per packet at first: every destination once, before
	 * any measurement, so that no variant pays for it.
	 */
	for (p = 0; p < P_NR; p++) {
		if (protos[p] && pkt_v6(p)) {
			next = 0;
			flood_send(raw[p], &fl[p], &next, fl[p].n);
		}
	}

	/* Repetitions interleave the variants, in a rotating order, so that
	 * a drift of the machine spreads over all of them.
	 */
	for (r = 0; r < (int)reps; r++) {
		/* Within a repetition every variant sends the same packets, in
		 * order; the next repetition goes on from there, so that the
		 * repetitions together cover every destination.
		 */
		unsigned int start = (unsigned long)r * (warmup + packets) % nbind;

		for (p = 0; p < P_NR; p++) {
			if (!protos[p])
				continue;
			for (i = 0; i < V_NR; i++) {
				enum variant v = (i + r) % V_NR;
				unsigned long long got;
				struct bpf_link *link;
				int service = -1;
				uint64_t ns;

				if (!want[v] || (v == V_TPROXY100K && pkt_v6(p)))
					continue;
				if (v == V_NONE || v == V_PASS || v == V_OTHER)
					service = receiver(p, true, port_of(p));
				link = variant_on(v, p);
				/* Let the work the change deferred (RCU callbacks,
				 * freeing, code patching) finish before measuring;
				 * idle time costs nothing under -icount sleep=off.
				 */
				usleep(SETTLE_US);
				next = start;
				flood_send(raw[p], &fl[p], &next, warmup);
				got = received(p);
				t0 = now_ns();
				flood_send(raw[p], &fl[p], &next, packets);
				ns = now_ns() - t0;
				got = received_since(p, got, packets);
				variant_off(v, p, link);
				if (service >= 0)
					close(service);
				printf("{\"type\":\"run\",\"kernel\":\"%s\",\"mode\":\"%s\","
				       "\"boot\":%d,\"proto\":\"%s\",\"variant\":\"%s\","
				       "\"rep\":%d,\"packets\":%lu,\"received\":%llu,"
				       "\"ns\":%llu}\n",
				       kernel, mode, boot, proto_name[p], variant_name[v], r,
				       packets, got, (unsigned long long)ns);
			}
		}
	}
	print_clock();
	disp_bpf__destroy(skel);
	return 0;
}
