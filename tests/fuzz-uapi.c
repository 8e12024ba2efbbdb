// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-uapi [-u] [OPS [SEED]]: a directed fuzzer of the SK_LOOKUP UAPI, each
 * result held against an oracle written from the contract (the unmodified
 * tree; docs/BEYOND.md for the test run's ingress_ifindex, or upstream's rule
 * with -u). Part 1 loads every context access and reads accepted loads back;
 * part 2 makes OPS (20000) random bpf() calls from SEED (1) against a model
 * of the links and namespaces, up to the 64-link limit and defunct links.
 * What the contract leaves open counts as undetermined (a sane errno only).
 * Ends with "fuzz-uapi: N passed, M failed"; exit 1 if M > 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#define CTX_SZ		72	/* sizeof(struct bpf_sk_lookup) */
#define AT_SKL		36	/* BPF_SK_LOOKUP */
#define AT_FLOW		17	/* BPF_FLOW_DISSECTOR, the other netns attach type */
#define AT_STRUCT_OPS	44	/* 6.12's, newer than the host's headers */
#define MAX_PER_NS	64	/* netns_bpf_max_progs() */
#define CLOSED_FD	4000	/* never opened: fds are allocated lowest first */
#define BAD_PTR		8UL	/* unmapped: copies from or to it fault */
#define IDS_SURE	4096u	/* prog_cnt a kcalloc() cannot fail for */
#define IDS_MAX		(1u << 20)	/* more u32 than KMALLOC_MAX_SIZE holds */
#define MAX_NS		6
#define MAX_LINKS	512
#define W_ANY		(-1)	/* the oracle cannot tell: success or a sane errno */
#define W_NONE		(-2)	/* no second result */
#define W_TRUE		(-3)	/* check(): a property, not a result */
#define UNDET		0x10000	/* allowed, but the contract does not say it must be */
#define check(ok, ...)	verdict(!(ok), W_TRUE, W_NONE, __VA_ARGS__)

_Static_assert(sizeof(struct bpf_sk_lookup) == CTX_SZ, "UAPI context size");

static unsigned long n_pass, n_fail, n_undet, n_progs, n_ops;
static unsigned long seen[64][140];	/* [command][errno]: results as expected */
static int lo_ifindex, map_fd, cmd;
static unsigned int ids_buf[IDS_SURE + 8];
static bool upstream;

/* --- plumbing ------------------------------------------------------------ */
static unsigned int rnd(void) { return mrand48(); }
static unsigned int below(unsigned int n) { return n ? rnd() % n : 0; }
static bool chance(unsigned int pct) { return below(100) < pct; }
static int err_if(bool cond, int err) { return cond ? err : 0; }

static long sys_bpf(int c, void *attr)
{
	long r = syscall(__NR_bpf, cmd = c, attr, sizeof(union bpf_attr));

	return r < 0 ? -errno : r;
}

static const char *ename(long r)
{
	static char buf[4][40];
	static int i;
	const char *n = r >= 0 ? "success" : strerrorname_np(-r);

	i = (i + 1) & 3;
	snprintf(buf[i], sizeof(buf[i]), "%s(%ld)", n ? n : "errno", r);
	return buf[i];
}

static const char *hex(const void *p, int n)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	buf[i][0] = 0;
	for (int k = 0; k < n && k < 250; k++)
		sprintf(buf[i] + 2 * k, "%02x", ((const unsigned char *)p)[k]);
	return buf[i];
}

/* 0: no match, 1: the oracle's result, 2: allowed but undetermined. A sane
 * errno, for W_ANY, is one these bpf() paths can give. */
static int match(long r, int w)
{
	static const int sane[] = { EINVAL, EBADF, EPERM, ENOENT, ENOSPC, E2BIG, EFAULT,
		ENOMEM, ENOLINK, EOPNOTSUPP, 524 /* ENOTSUPP */, EAFNOSUPPORT, ERANGE, ENODEV };

	for (size_t i = 0; w == W_ANY && i < sizeof(sane) / sizeof(sane[0]); i++)
		if (r == -sane[i])
			return 2;
	if (w == W_ANY)
		return r >= 0 ? 2 : 0;
	if (w == W_TRUE)
		return !r;
	if (w == W_NONE || ((w & ~UNDET) ? r != -(w & ~UNDET) : r < 0))
		return 0;
	return w & UNDET ? 2 : 1;
}

/* Holds a result against the oracle: want is 0 (success) or an errno, alt a
 * second result the contract allows, or W_NONE; either may be UNDET-marked. */
static void verdict(long r, int want, int alt, const char *fmt, ...)
{
	int c = match(r, want) ?: match(r, alt);
	va_list ap;

	if (c == 1 && want >= 0 && want < 140)
		seen[cmd & 63][want]++;
	if (c) {
		*(c == 1 ? &n_pass : &n_undet) += 1;
		return;
	}
	n_fail++;
	va_start(ap, fmt);
	printf("MISMATCH ");
	vprintf(fmt, ap);
	va_end(ap);
	if (want != W_TRUE)
		printf(": expected %s%s%s, got %s", want == W_ANY ? "a sane errno" :
		       ename(-(want & ~UNDET)), alt == W_NONE ? "" : " or ",
		       alt == W_NONE ? "" : ename(-(alt & ~UNDET)), ename(r));
	putchar('\n');
}

/* --- programs ------------------------------------------------------------ */
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define BSZ(z)		((z) == 1 ? BPF_B : (z) == 2 ? BPF_H : (z) == 4 ? BPF_W : BPF_DW)
#define MOV_IMM(d, i)	INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define LDX(z, d, s, o)	INSN(BPF_LDX | BPF_MEM | BSZ(z), d, s, o, 0)
#define STX(z, d, s, o)	INSN(BPF_STX | BPF_MEM | BSZ(z), d, s, o, 0)
#define ST(z, d, o, i)	INSN(BPF_ST | BPF_MEM | BSZ(z), d, 0, o, i)
#define EXIT()		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static char vlog[16384];

/* Loads a program, the verifier's log in vlog. */
static long prog_load(int type, const struct bpf_insn *in, int n)
{
	union bpf_attr a = { .prog_type = type, .expected_attach_type = AT_SKL,
			     .insn_cnt = n, .insns = (unsigned long)in,
			     .license = (unsigned long)"GPL", .log_level = 1,
			     .log_buf = (unsigned long)vlog, .log_size = sizeof(vlog) };

	vlog[0] = 0;
	n_progs++;
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* The verifier's reason, the line before its statistics, for a report. */
static const char *last_log_line(void)
{
	char *e = strstr(vlog, "processed ");

	if (e)
		*e = 0;
	e = vlog + strlen(vlog);
	while (e > vlog && e[-1] == '\n')
		*--e = 0;
	while (e > vlog && e[-1] != '\n')
		e--;
	return e;
}

/* --- the context oracle: sk_lookup_is_valid_access() and the rewrites --- */

enum op { OP_LDX, OP_STX, OP_ST };
enum fkind { F_SK, F_U32, F_PORT, F_PAD };

static const struct field {
	int off, end;		/* the UAPI bytes [off, end) */
	enum fkind kind;
	int ksize;		/* width of the kernel's copy (bpf_sk_lookup_kern) */
	int fam;		/* set by the test run for this family only */
} fields[] = {
	{  0,  8, F_SK,   8, 0 },		/* sk: a socket pointer, 8-byte loads only */
	{  8, 12, F_U32,  2, 0 },		/* family */
	{ 12, 16, F_U32,  2, 0 },		/* protocol */
	{ 16, 20, F_U32,  4, AF_INET },	/* remote_ip4 */
	{ 20, 36, F_U32,  4, AF_INET6 },	/* remote_ip6[4] */
	{ 36, 38, F_PORT, 2, 0 },		/* remote_port, network byte order */
	{ 38, 40, F_PAD,  2, 0 },		/* zero padding, readable for compatibility */
	{ 40, 44, F_U32,  4, AF_INET },	/* local_ip4 */
	{ 44, 60, F_U32,  4, AF_INET6 },	/* local_ip6[4] */
	{ 60, 64, F_U32,  2, 0 },		/* local_port */
	{ 64, 68, F_U32,  4, 0 },		/* ingress_ifindex; 68..71 is no field */
};

static const struct field *field_at(int off)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (off >= fields[i].off && off < fields[i].end)
			return &fields[i];
	return NULL;
}

/* The size the verifier records for narrow loads (0: no narrowing). */
static int field_size(const struct field *f, int size)
{
	if (f->kind == F_PORT && size == 4)	/* taken whole, for compatibility */
		return 0;
	return f->kind == F_U32 ? 4 : f->kind == F_SK ? 0 : 2;
}

static bool access_ok(int off, int size, enum op op)
{
	const struct field *f = field_at(off);

	if (op != OP_LDX || !f || off % size)	/* read-only, aligned, inside */
		return false;
	if (f->kind == F_SK)
		return size == 8;
	return size <= field_size(f, size) || (f->kind == F_PORT && size == 4);
}

/* What the kernel's copy of the field at off holds as the test run fills it
 * in: 16-bit fields truncated, the other family's addresses 0, no socket. */
static unsigned long long kfield(const struct bpf_sk_lookup *c, const struct field *f, int off)
{
	unsigned int v = 0;

	if (f->kind == F_SK || f->kind == F_PAD || (f->fam && f->fam != (unsigned short)c->family))
		return 0;
	memcpy(&v, (const char *)c + off, f->ksize);
	return v;
}

/* A narrow load reads the recorded field, then shifts and masks, but only
 * when narrower than the kernel's copy (convert_ctx_accesses()): so a
 * 2-byte load of family+2 reads the family itself, not 0. */
static unsigned long long load_value(const struct bpf_sk_lookup *c, int off, int size)
{
	const struct field *f = field_at(off);
	int fs = field_size(f, size);
	unsigned long long v;

	if (size >= fs)
		return kfield(c, f, off);
	v = kfield(c, f, off & ~(fs - 1));
	if (size < f->ksize)
		v = (v >> (off & (fs - 1)) * 8) & ((1ULL << size * 8) - 1);
	return v;
}

/* --- part 1: every context access ------------------------------------------ */
static struct bpf_sk_lookup ctxs[3];

/* IPv4, IPv6 (each with the other family's addresses set too, which must
 * read as 0), and IPv4 with junk the test run drops: the upper halves of
 * family and protocol, the padding after remote_port. */
static void make_contexts(void)
{
	for (int c = 0; c < 2; c++) {
		for (int i = 16; i < 60; i++)	/* distinct, non-zero bytes */
			((unsigned char *)&ctxs[c])[i] = i * 7 + 3 + c * 128;
		ctxs[c].family = c ? AF_INET6 : AF_INET;
		ctxs[c].protocol = c ? IPPROTO_UDP : IPPROTO_TCP;
		((unsigned char *)&ctxs[c])[38] = ((unsigned char *)&ctxs[c])[39] = 0;
		ctxs[c].local_port = 0xbeef - c;
		ctxs[c].ingress_ifindex = upstream ? 0 : lo_ifindex;
	}
	ctxs[2] = ctxs[0];
	ctxs[2].family |= 0xabcd0000;
	ctxs[2].protocol |= 0x12340000;
	((unsigned char *)&ctxs[2])[38] = 0x5a;
}

static long access_prog(int off, int size, enum op op)
{
	struct bpf_insn p[3] = { MOV_IMM(BPF_REG_0, 1 /* SK_PASS */), {}, EXIT() };

	p[1] = op == OP_LDX ? LDX(size, BPF_REG_2, BPF_REG_1, off) :
	       op == OP_STX ? STX(size, BPF_REG_1, BPF_REG_0, off) : ST(size, BPF_REG_1, off, 42);
	return prog_load(BPF_PROG_TYPE_SK_LOOKUP, p, 3);
}

/* The load again, storing what it read in the map for the test run to show
 * (the sk pointer too: root may store pointers). */
static void check_load_value(int off, int size)
{
	struct bpf_insn p[] = {
		LDX(size, BPF_REG_6, BPF_REG_1, off),
		ST(4, BPF_REG_10, -4, 0),		/* key 0 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd), {},
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0),
		STX(8, BPF_REG_0, BPF_REG_6, 0),
		MOV_IMM(BPF_REG_0, 1), EXIT(),
	};
	long fd = prog_load(BPF_PROG_TYPE_SK_LOOKUP, p, sizeof(p) / sizeof(p[0])), r;
	unsigned long long v, want;
	int k = 0;

	verdict(fd, 0, W_NONE, "value program off=%d size=%d (%s)", off, size, last_log_line());
	for (int i = 0; fd >= 0 && i < 3; i++) {
		union bpf_attr a = { .test = { .prog_fd = fd, .ctx_in = (unsigned long)&ctxs[i],
					       .ctx_size_in = CTX_SZ } };

		v = 0xa5a5a5a5a5a5a5a5ULL;
		bpf_map_update_elem(map_fd, &k, &v, BPF_ANY);
		r = sys_bpf(BPF_PROG_TEST_RUN, &a);
		bpf_map_lookup_elem(map_fd, &k, &v);
		want = load_value(&ctxs[i], off, size);
		check(!r && a.test.retval == 1 && v == want,
		      "load off=%d size=%d, ctx %s: run %s, read %#llx retval %u, expected %#llx",
		      off, size, hex(&ctxs[i], CTX_SZ), ename(r), v, a.test.retval, want);
	}
	if (fd >= 0)
		close(fd);
}

static void part_ctx_access(void)
{
	static const char *const op_name[] = { "load", "store", "store-imm" };
	unsigned long tried = n_progs;

	for (int off = 0; off <= CTX_SZ + 8; off++)
		for (int size = 1; size <= 8; size *= 2)
			for (int op = OP_LDX; op <= OP_ST; op++) {
				bool want = access_ok(off, size, op);
				long fd = access_prog(off, size, op);

				verdict(fd, want ? 0 : EACCES, W_NONE,
					"ctx access off=%d size=%d op=%s (%s)", off, size,
					op_name[op], fd < 0 ? last_log_line() : "accepted");
				if (fd < 0)
					continue;
				close(fd);
				if (want)
					check_load_value(off, size);
			}
	printf("ctx access: %lu programs\n", n_progs - tried);
}

/* --- the model of the kernel's links and namespaces ------------------------ */
enum kind { K_SKL, K_PROG, K_MAP, K_LINK, K_NETNS, K_OTHER, K_BAD };

struct obj {			/* what an fd in an attribute refers to */
	int fd;
	enum kind kind;
	int idx;		/* K_SKL: program, K_NETNS: slot, K_LINK: link */
	const char *name;
};

enum { P_DROP, P_PASS, NPROG };	/* each returns its index */
static struct { int fd; unsigned int id; } progs[NPROG];
static const char *const prog_name[NPROG] = { "drop", "pass" };
static struct obj strays[8];	/* fds of the wrong kind */
static int nstrays;

enum lstate { L_LIVE, L_GONE };
static const char *const lstate_name[] = { "link(live)", "link(defunct)" };
static struct link { int fd, ns, prog; enum lstate st; } links[MAX_LINKS];	/* oldest first */
static int nlinks;
static struct { int fd; unsigned long ino; } nss[MAX_NS] = { [0 ... MAX_NS - 1] = { -1, 0 } };

/* (each takes its argument once: it is often a random pick) */
#define prog_obj(p) ({ int _p = (p); (struct obj){ progs[_p].fd, K_SKL, _p, prog_name[_p] }; })
#define ns_obj(s) ({ int _s = (s); \
	(struct obj){ nss[_s].fd, K_NETNS, _s, _s ? "netns" : "own-netns" }; })
#define link_obj(l) ({ int _l = (l); \
	(struct obj){ links[_l].fd, K_LINK, _l, lstate_name[links[_l].st] }; })

/* An fd of the wrong kind, a link now and then. */
static struct obj stray(void)
{
	return nlinks && chance(15) ? link_obj(below(nlinks)) : strays[below(nstrays)];
}

/* Taking o as a k (bpf_prog_get(), bpf_link_get_from_fd(), bpf_map_get(),
 * get_net_ns_by_fd()): EBADF for no file, EINVAL for another kind of file. */
static int get_err(const struct obj *o, enum kind k)
{
	if (o->kind == K_BAD)
		return EBADF;
	return o->kind == k || (k == K_PROG && o->kind == K_SKL) ? 0 : EINVAL;
}

/* The IDs PROG_QUERY gives: the live links' programs in attach order. */
static unsigned int live_ids(int ns, unsigned int *ids)
{
	static unsigned int scratch[MAX_LINKS];
	unsigned int n = 0;

	ids = ids ?: scratch;
	for (int i = 0; i < nlinks; i++)
		if (links[i].ns == ns && links[i].st == L_LIVE)
			ids[n++] = progs[links[i].prog].id;
	return n;
}

static void link_drop(int l)
{
	close(links[l].fd);
	memmove(&links[l], &links[l + 1], (--nlinks - l) * sizeof(links[0]));
}

/* A new namespace, held by an fd alone, so that closing it destroys it. */
static int ns_new(void)
{
	struct stat st;
	int s = 0, fd;

	while (s < MAX_NS && nss[s].fd >= 0)
		s++;
	if (s == MAX_NS || unshare(CLONE_NEWNET))
		return -1;
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if ((s && setns(nss[0].fd, CLONE_NEWNET)) || fd < 0 || fstat(fd, &st)) {
		perror("fuzz-uapi: namespace");
		exit(2);
	}
	nss[s].fd = fd;
	nss[s].ino = st.st_ino;
	return s;
}

/* Its pre_exit detaches all the namespace's links at once, maybe later
 * (cleanup_net()): they are defunct once one's info shows no namespace. */
static void ns_kill(int s)
{
	struct bpf_link_info info = {};
	unsigned int len = sizeof(info);
	int l = -1, n = 0;

	close(nss[s].fd);
	nss[s].fd = -1;
	for (int i = 0; i < nlinks; i++)
		if (links[i].ns == s && links[i].st == L_LIVE)
			links[i].st = L_GONE, links[i].ns = -1, l = i;
	if (l < 0)
		return;
	while (n++ < 4000 &&
	       (bpf_obj_get_info_by_fd(links[l].fd, &info, &len) || info.netns.netns_ino))
		usleep(5000);
	check(!info.netns.netns_ino, "a link still attached 20 s after its namespace went");
}

/* --- part 2: random operations --------------------------------------------- */
/* BPF_SK_LOOKUP, or one of those neither LINK_CREATE nor PROG_QUERY takes
 * for a netns fd (BPF_STRUCT_OPS and BPF_FLOW_DISSECTOR aside). */
static unsigned int pick_at(void)
{
	static const unsigned int other[] = { AT_FLOW, 33, 35, 37, 39, 40, 41, 42,
		AT_STRUCT_OPS, 45, 56, 57, 255, 0x10000 + AT_SKL, ~0u };

	return chance(80) ? AT_SKL : other[below(sizeof(other) / sizeof(other[0]))];
}

static struct obj pick_ns(void)
{
	int s = below(MAX_NS);

	while (nss[s].fd < 0)
		s = (s + 1) % MAX_NS;
	return ns_obj(s);
}

/* link_create(), then netns_bpf_link_create() and netns_bpf_link_attach(). */
static void op_link_create(void)
{
	struct obj p = chance(75) ? prog_obj(below(NPROG)) : stray();
	struct obj t = chance(80) ? pick_ns() : stray();
	unsigned int at = pick_at(), flags = chance(92) ? 0 : 1u << below(32);
	unsigned int live = t.kind == K_NETNS ? live_ids(t.idx, NULL) : 0;
	union bpf_attr a = { .link_create = { .prog_fd = p.fd, .target_fd = t.fd,
					      .attach_type = at, .flags = flags } };
	int want;
	long r;

	for (int i = 16; chance(20) && i < 60; i++)	/* other link types' union */
		((unsigned char *)&a)[i] = rnd();
	/* BPF_STRUCT_OPS takes the fd for a struct_ops map's */
	want = err_if(at == AT_STRUCT_OPS, p.kind == K_BAD ? EBADF : EINVAL) ?:
	       get_err(&p, K_PROG) ?:
	       err_if(p.kind != K_SKL || at != AT_SKL || flags, EINVAL) ?:
	       get_err(&t, K_NETNS) ?:
	       err_if(live >= MAX_PER_NS, E2BIG);
	r = sys_bpf(BPF_LINK_CREATE, &a);
	verdict(r, want, W_NONE,
		"op %lu LINK_CREATE prog=%s target=%s live=%u attach_type=%u flags=%#x attr=%s",
		n_ops, p.name, t.name, live, at, flags, hex(&a, 60));
	if (r >= 0 && t.kind == K_NETNS && nlinks < MAX_LINKS)
		links[nlinks++] = (struct link){ .fd = r, .ns = t.idx,
						 .prog = p.kind == K_SKL ? p.idx : P_PASS };
	else if (r >= 0)
		close(r);
}

/* link_update(), then bpf_netns_link_update_prog(). */
static void op_link_update(void)
{
	struct obj lk = nlinks && chance(88) ? link_obj(below(nlinks)) : stray();
	struct obj np = chance(80) ? prog_obj(below(NPROG)) : stray();
	struct link *l = lk.kind == K_LINK ? &links[lk.idx] : NULL;
	unsigned int flags = chance(50) ? BPF_F_REPLACE : chance(90) ? 0 : rnd();
	struct obj op = { 0, K_BAD, 0, "none" };
	union bpf_attr a = {};
	int want;
	long r;

	if (flags & BPF_F_REPLACE || chance(10))
		op = l && chance(50) ? prog_obj(l->prog) : chance(70) ? prog_obj(below(NPROG)) :
		     stray();
	a.link_update = (typeof(a.link_update)){ lk.fd, np.fd, flags, op.fd };
	want = err_if(flags & ~BPF_F_REPLACE, EINVAL) ?:
	       get_err(&lk, K_LINK) ?:
	       get_err(&np, K_PROG) ?:
	       (flags ? get_err(&op, K_PROG) : err_if(op.fd, EINVAL)) ?:
	       err_if(flags && !(op.kind == K_SKL && op.idx == l->prog), EPERM) ?:
	       err_if(np.kind != K_SKL, EINVAL) ?:
	       err_if(l->st == L_GONE, ENOLINK);
	r = sys_bpf(BPF_LINK_UPDATE, &a);
	verdict(r, want, W_NONE,
		"op %lu LINK_UPDATE link=%s current=%s new=%s flags=%#x old=%s attr=%s", n_ops,
		lk.name, l ? prog_name[l->prog] : "-", np.name, flags, op.name, hex(&a, 16));
	if (!r && l && np.kind == K_SKL)
		l->prog = np.idx;
}

/* bpf_prog_query(), then netns_bpf_prog_query(). */
static void op_query(void)
{
	struct obj tgt = chance(85) ? pick_ns() : stray();
	int ns = tgt.kind == K_NETNS ? tgt.idx : -1, want;
	unsigned int exp[MAX_LINKS], count = ns >= 0 ? live_ids(ns, exp) : 0;
	unsigned int at = pick_at(), k = below(100);
	unsigned int qflags = chance(85) ? 0 : chance(66) ? BPF_F_QUERY_EFFECTIVE : rnd();
	unsigned int cnt = k < 40 ? below(count + 3) : k < 55 ? count : k < 70 ? 0 :
			   k < 95 ? below(IDS_SURE + 1) : IDS_MAX + 1 + below(1u << 30);
	unsigned int fill, i;
	bool ids = chance(90);
	union bpf_attr a = { .query = { .target_fd = tgt.fd, .attach_type = at,
		.query_flags = qflags, .prog_cnt = cnt,
		.prog_ids = ids ? (unsigned long)ids_buf : 0 } };
	long r;

	count = at == AT_SKL ? count : 0;	/* nothing of BPF_FLOW_DISSECTOR */
	fill = cnt < count + 8 ? cnt : count + 8;
	a.query.attach_flags = rnd();		/* output only */
	memset(ids_buf, 0xff, sizeof(ids_buf));
	/* other attach types go to other subsystems (cgroup, sockmap, ...):
	 * pick_at() chooses only those bpf_prog_query() refuses */
	want = err_if(qflags & ~BPF_F_QUERY_EFFECTIVE || (at != AT_SKL && at != AT_FLOW), EINVAL) ?:
	       err_if(qflags, EINVAL) ?:		/* netns takes no flags at all */
	       get_err(&tgt, K_NETNS) ?:
	       (!cnt || !ids || !count ? 0 :		/* else the IDs are copied */
		err_if(cnt > IDS_MAX, ENOMEM) ?: err_if(count > cnt, ENOSPC));
	r = sys_bpf(BPF_PROG_QUERY, &a);
	verdict(r, want, W_NONE,
		"op %lu PROG_QUERY target=%s attach_type=%u flags=%#x prog_cnt=%u ids=%d live=%u",
		n_ops, tgt.name, at, qflags, cnt, ids, count);
	if (ns < 0 || want == EINVAL || (r && r != -ENOSPC && r != -ENOMEM))
		return;
	check(a.query.prog_cnt == count && !a.query.attach_flags,
	      "op %lu PROG_QUERY prog_cnt=%u: got prog_cnt %u attach_flags %u, expected %u and 0",
	      n_ops, cnt, a.query.prog_cnt, a.query.attach_flags, count);
	if (!ids || r == -ENOMEM || !count)
		return;				/* nothing copied */
	for (i = 0; i < fill && ids_buf[i] == (i < count ? exp[i] : 0); i++)
		;
	check(i == fill, "op %lu PROG_QUERY prog_cnt=%u: id[%u] %u, expected %u",
	      n_ops, cnt, i, ids_buf[i], i < count ? exp[i] : 0);
}

/* A context as a caller would build it, or now and then anything at all. */
static void rand_ctx(unsigned char *b)
{
	struct bpf_sk_lookup *c = (struct bpf_sk_lookup *)b;

	for (int i = 0; i < CTX_SZ; i++)
		b[i] = rnd();
	if (chance(10))
		return;
	c->cookie = chance(95) ? 0 : c->cookie;
	c->family = chance(90) ? (chance(50) ? AF_INET : AF_INET6) : below(64);
	c->protocol = chance(90) ? (chance(50) ? IPPROTO_TCP : IPPROTO_UDP) : c->protocol;
	memset(b + 38, 0, chance(90) ? 2 : 0);
	c->local_port = chance(92) ? below(65536) : c->local_port | 0x10000;
	c->ingress_ifindex = chance(70) ? 0 : chance(50) ? (unsigned int)lo_ifindex : rnd();
	memset(b + 68, 0, chance(95) ? 4 : 0);
}

/* bpf_prog_test_run(), then bpf_prog_test_run_sk_lookup() on the image
 * bpf_ctx_init() makes (ctx_in over zeros). BEYOND.md does not order its
 * -ENODEV among -ERANGE and -EAFNOSUPPORT: either is allowed then. */
static int run_want(const union bpf_attr *a, const struct obj *p,
		    const unsigned char *in, const struct bpf_sk_lookup *img, int *alt)
{
	const typeof(a->test) *t = &a->test;
	static const unsigned char zero[8];
	unsigned int ifx = img->ingress_ifindex, from = upstream ? 64 : 68;
	bool junk = img->cookie || memcmp((const char *)img + from, zero, CTX_SZ - from);
	bool ifbad = !upstream && ifx && ifx != (unsigned int)lo_ifindex;
	bool tail_in = false;
	int err;

	for (unsigned int i = CTX_SZ; t->ctx_in == (unsigned long)in && i < t->ctx_size_in; i++)
		tail_in |= in[i];
	*alt = W_NONE;
	err = err_if(!t->ctx_size_in != !t->ctx_in || !t->ctx_size_out != !t->ctx_out, EINVAL) ?:
	      get_err(p, K_PROG) ?:
	      err_if(p->kind != K_SKL, W_ANY) ?:	/* another type's test run */
	      err_if(t->flags || t->cpu || t->batch_size || t->data_in || t->data_size_in ||
		     t->data_out || t->data_size_out || (!t->ctx_in && !t->ctx_out), EINVAL) ?:
	      err_if(t->ctx_in && t->ctx_size_in > 4096, E2BIG) ?:
	      err_if(t->ctx_in == BAD_PTR, EFAULT) ?:
	      err_if(tail_in, E2BIG) ?:
	      err_if(junk, EINVAL) ?:
	      err_if(img->local_port > 65535, ERANGE) ?:
	      err_if((unsigned short)img->family != AF_INET &&
		     (unsigned short)img->family != AF_INET6, EAFNOSUPPORT);
	if (ifbad && (err == ERANGE || err == EAFNOSUPPORT)) {
		*alt = UNDET | ENODEV;
		return UNDET | err;
	}
	return err ?: err_if(ifbad, ENODEV) ?:
	       err_if(t->ctx_out && t->ctx_size_out < CTX_SZ, ENOSPC) ?:	/* BAD_PTR too */
	       err_if(t->ctx_out == BAD_PTR, EFAULT);
}

static void op_test_run(void)
{
	static unsigned char in[8192], out[256];
	struct obj p = chance(92) ? prog_obj(below(NPROG)) : stray();
	union bpf_attr a = { .test.prog_fd = p.fd };
	typeof(a.test) *t = &a.test;
	struct bpf_sk_lookup img = {};
	unsigned int k = below(100), out_sz, n;
	int want, alt;
	long r;

	memset(in, 0, sizeof(in));
	if (chance(90)) {
		rand_ctx(in);
		t->ctx_in = chance(97) ? (unsigned long)in : BAD_PTR;
		t->ctx_size_in = k < 75 ? CTX_SZ : k < 85 ? below(CTX_SZ) : k < 95 ?
				 CTX_SZ + 1 + below(200) : 4097 + below(4000);
		if (chance(50))			/* a tail, zero or not */
			in[CTX_SZ + below(300)] = chance(50) ? 0 : 1 + below(255);
		if (t->ctx_in == (unsigned long)in)
			memcpy(&img, in, t->ctx_size_in < CTX_SZ ? t->ctx_size_in : CTX_SZ);
	} else {
		t->ctx_size_in = chance(5) ? CTX_SZ : 0;	/* a size without a buffer */
	}
	if (chance(57)) {
		t->ctx_out = chance(3) ? 0 : chance(97) ? (unsigned long)out : BAD_PTR;
		t->ctx_size_out = chance(70) ? CTX_SZ : below(100);
	}
	t->repeat = chance(90) ? below(8) : below(1000);
	t->flags = chance(96) ? 0 : 1u << below(32);
	t->cpu = chance(96) ? 0 : 1 + below(4);
	t->batch_size = chance(97) ? 0 : 1 + below(64);
	t->data_size_in = chance(98) ? 0 : 1 + below(128);
	t->data_size_out = chance(98) ? 0 : 1 + below(128);
	t->data_in = chance(98) ? 0 : (unsigned long)in;
	t->retval = rnd();			/* output only */
	out_sz = t->ctx_size_out;
	want = run_want(&a, &p, in, &img, &alt);
	memset(out, 0xee, sizeof(out));
	r = sys_bpf(BPF_PROG_TEST_RUN, &a);
	verdict(r, want, alt, "op %lu PROG_TEST_RUN prog=%s ctx_in=%s attr=%s", n_ops, p.name,
		hex(in, t->ctx_size_in < 80 ? t->ctx_size_in : 80), hex(&a, 76));
	if (p.kind != K_SKL || !((!r && !want) || (r == -ENOSPC && want == ENOSPC)))
		return;
	/* the verdict, and ctx_out: the context, cookie 0 as nothing was selected */
	n = r ? out_sz : CTX_SZ;
	check(t->retval == (unsigned int)p.idx, "op %lu PROG_TEST_RUN prog=%s: retval %u",
	      n_ops, p.name, t->retval);
	if (t->ctx_out == (unsigned long)out)
		check(t->ctx_size_out == CTX_SZ && !memcmp(out, &img, n) && out[n] == 0xee,
		      "op %lu PROG_TEST_RUN ctx_out %s size %u, expected %s size %d",
		      n_ops, hex(out, CTX_SZ + 1), t->ctx_size_out, hex(&img, n), CTX_SZ);
}

static void part_random(unsigned long ops)
{
	static const struct { void (*fn)(void); unsigned int weight; } table[] = {
		{ op_link_create, 31 }, { op_link_update, 21 }, { op_query, 17 },
		{ op_test_run, 21 }, { NULL, 10 } /* close a link, or a namespace */,
	};

	for (n_ops = 0; n_ops < ops; n_ops++) {
		unsigned int w = below(100), i = 0, s = 1 + below(MAX_NS - 1);

		if (nlinks == MAX_LINKS)
			link_drop(below(nlinks));
		while (w >= table[i].weight)
			w -= table[i++].weight;
		if (table[i].fn)
			table[i].fn();
		else if (chance(75) && nlinks)
			link_drop(below(nlinks));
		else if (nss[s].fd >= 0)	/* not our own */
			ns_kill(s);		/* its links go defunct */
		else
			ns_new();
	}
}

/* --- setup and summary -------------------------------------------------------- */
static void setup(void)
{
	struct bpf_insn ret[2][2] = { { MOV_IMM(BPF_REG_0, 0), EXIT() },
				      { MOV_IMM(BPF_REG_0, 1), EXIT() } };
	struct bpf_prog_info info;
	unsigned int len;
	long sf;

	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	sf = prog_load(BPF_PROG_TYPE_SOCKET_FILTER, ret[1], 2);
	for (int p = 0; p < NPROG; p++) {
		progs[p].fd = prog_load(BPF_PROG_TYPE_SK_LOOKUP, ret[p], 2);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		bpf_obj_get_info_by_fd(progs[p].fd, &info, &len);
		progs[p].id = info.id;
	}
	if (ns_new() || !(lo_ifindex = if_nametoindex("lo")) || map_fd < 0 || sf < 0 ||
	    !progs[P_DROP].id || !progs[P_PASS].id || fcntl(CLOSED_FD, F_GETFD) != -1) {
		fprintf(stderr, "fuzz-uapi: setup failed: %s\n", strerror(errno));
		exit(2);
	}
	strays[nstrays++] = (struct obj){ sf, K_PROG, 0, "socket-filter" };
	strays[nstrays++] = (struct obj){ map_fd, K_MAP, 0, "array-map" };
	strays[nstrays++] = (struct obj){ open("/dev/null", O_RDONLY), K_OTHER, 0, "devnull" };
	strays[nstrays++] = (struct obj){ open("/proc/1/ns/mnt", O_RDONLY), K_OTHER, 0, "mntns" };
	strays[nstrays++] = (struct obj){ CLOSED_FD, K_BAD, 0, "closed-fd" };
	strays[nstrays++] = (struct obj){ -1, K_BAD, 0, "fd-1" };
	strays[nstrays++] = ns_obj(0);
}

/* What each command gave as the oracle expected, to show what was covered. */
static void summary(unsigned long ops)
{
	static const char *const names[64] = { [BPF_PROG_LOAD] = "PROG_LOAD",
		[BPF_PROG_TEST_RUN] = "PROG_TEST_RUN", [BPF_PROG_QUERY] = "PROG_QUERY",
		[BPF_LINK_CREATE] = "LINK_CREATE", [BPF_LINK_UPDATE] = "LINK_UPDATE" };

	for (int c = 0; c < 64; c++) {
		if (!names[c])
			continue;
		printf("%s:", names[c]);
		for (int e = 0; e < 140; e++)
			if (seen[c][e])
				printf(" %s %lu", e ? strerrorname_np(e) : "success", seen[c][e]);
		putchar('\n');
	}
	/* the limits and the states the random part is there to reach (it
	 * reaches them in a few thousand operations) */
	if (ops >= 10000)
		check(seen[BPF_LINK_CREATE][E2BIG] && seen[BPF_LINK_UPDATE][ENOLINK] &&
		      seen[BPF_LINK_UPDATE][EPERM] && seen[BPF_PROG_QUERY][ENOSPC],
		      "coverage: a 65th link, a defunct link, a wrong old program, a short prog_ids");
}

int main(int argc, char **argv)
{
	int a = argc > 1 && !strcmp(argv[1], "-u") ? 2 : 1;
	unsigned long ops = a < argc ? strtoul(argv[a], NULL, 0) : 20000;
	unsigned long seed = a + 1 < argc ? strtoul(argv[a + 1], NULL, 0) : 1;
	time_t t0 = time(NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	upstream = a == 2;
	srand48(seed);
	printf("fuzz-uapi: seed %lu, %lu ops, %s rule for the test run's ingress_ifindex\n",
	       seed, ops, upstream ? "upstream's" : "the series'");
	setup();
	make_contexts();
	part_ctx_access();
	part_random(ops);
	summary(ops);
	printf("programs tried: %lu; random ops: %lu; undetermined: %lu; %ld s\n", n_progs, ops,
	       n_undet, (long)(time(NULL) - t0));
	printf("fuzz-uapi: %lu passed, %lu failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
