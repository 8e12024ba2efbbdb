// SPDX-License-Identifier: GPL-2.0
/*
 * Take the listening socket(s) of a running server, put them in the demo
 * program's SOCKMAP, attach the program to this network namespace and pin the
 * link so the steering outlives us.  Remove the pin to undo it.
 *
 *   loader [-p MIN-MAX] [-l PIN] PID FD [FD]
 *
 * Each FD is a file descriptor number inside process PID; an AF_INET listener
 * goes to SOCKMAP key 0, an AF_INET6 one to key 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "steer.skel.h"

static const char *pin_path = "/sys/fs/bpf/sk_lookup_demo";

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("loader: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* SOL_SOCKET option @opt of @fd, which is fd @nr of process @pid. */
static int sockopt_int(int fd, int opt, const char *name, pid_t pid, int nr)
{
	socklen_t len = sizeof(int);
	int val;

	if (getsockopt(fd, SOL_SOCKET, opt, &val, &len))
		die("pid %d fd %d: getsockopt(%s): %s", pid, nr, name, strerror(errno));
	return val;
}

/*
 * Copy the socket behind FD number @nr of the process behind @pidfd, check
 * that it is a TCP listener, return its SOCKMAP key (0 = IPv4, 1 = IPv6).
 */
static int grab_listener(int pidfd, pid_t pid, int nr, int *sock)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, family, port = 0;

	fd = pidfd_getfd(pidfd, nr, 0);
	if (fd < 0)
		die("pidfd_getfd(pid %d, fd %d): %s", pid, nr, strerror(errno));
	family = sockopt_int(fd, SO_DOMAIN, "SO_DOMAIN", pid, nr);	/* ENOTSOCK */
	if ((family != AF_INET && family != AF_INET6) ||
	    sockopt_int(fd, SO_PROTOCOL, "SO_PROTOCOL", pid, nr) != IPPROTO_TCP ||
	    !sockopt_int(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN", pid, nr))
		die("pid %d fd %d is not a listening TCP socket", pid, nr);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname: %s", strerror(errno));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	printf("loader: pid %d fd %d: TCP listener %s%s%s:%d\n", pid, nr,
	       family == AF_INET6 ? "[" : "", addr, family == AF_INET6 ? "]" : "", port);
	*sock = fd;
	return family == AF_INET ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned int pmin = 1, pmax = 65535;
	struct bpf_prog_info pinfo = {};
	struct bpf_link_info linfo = {};
	__u32 plen = sizeof(pinfo), llen = sizeof(linfo);
	int socks[2] = { -1, -1 };
	struct bpf_link *link;
	struct steer_bpf *skel;
	int opt, n, pidfd, netns, err;
	pid_t pid;
	char *end;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep stdout and stderr in order */
	while ((opt = getopt(argc, argv, "p:l:")) != -1) {
		switch (opt) {
		case 'p':
			n = sscanf(optarg, "%u-%u", &pmin, &pmax);
			if (n == 1)
				pmax = pmin;
			else if (n != 2)
				die("bad port range '%s'", optarg);
			break;
		case 'l':
			pin_path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		goto usage;
	if (pmin < 1 || pmin > pmax || pmax > 65535)
		die("bad port range %u-%u", pmin, pmax);
	pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0)
		die("bad PID '%s'", argv[optind]);

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		die("pidfd_open(%d): %s", pid, strerror(errno));
	for (int i = optind + 1; i < argc; i++) {
		int nr = strtol(argv[i], &end, 10), fd, key;

		if (*end || nr < 0)
			die("bad FD number '%s'", argv[i]);
		key = grab_listener(pidfd, pid, nr, &fd);
		if (socks[key] >= 0)
			die("two IPv%d listeners given", key ? 6 : 4);
		socks[key] = fd;
	}

	skel = steer_bpf__open();
	if (!skel)
		die("opening the BPF object: %s", strerror(errno));
	skel->rodata->port_min = pmin;
	skel->rodata->port_max = pmax;
	err = steer_bpf__load(skel);
	if (err)
		die("loading the BPF program: %s (does this kernel have sk_lookup?)",
		    strerror(-err));

	for (__u32 key = 0; key < 2; key++) {
		__u64 val = socks[key];

		if (socks[key] < 0)
			continue;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.server), &key, &val, BPF_ANY))
			die("SOCKMAP update, key %u: %s", key, strerror(errno));
		printf("loader: SOCKMAP key %u <- that IPv%d listener\n", key, key ? 6 : 4);
	}

	netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		die("open /proc/self/ns/net: %s", strerror(errno));
	link = bpf_program__attach_netns(skel->progs.steer, netns);
	if (!link)
		die("attaching to the network namespace: %s", strerror(errno));
	err = bpf_link__pin(link, pin_path);
	if (err)
		die("pinning the link at %s: %s", pin_path, strerror(-err));

	if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.steer), &pinfo, &plen) ||
	    bpf_obj_get_info_by_fd(bpf_link__fd(link), &linfo, &llen))
		die("reading back prog/link info: %s", strerror(errno));
	printf("loader: prog %u (sk_lookup): TCP to 192.0.2.0/24, 2001:db8::/64, ports %u-%u\n",
	       pinfo.id, pmin, pmax);
	printf("loader: link %u: netns inode %u, pinned at %s (rm it to detach)\n",
	       linfo.id, linfo.netns.netns_ino, pin_path);

	/* The pin keeps link, program and map (with its sockets) alive. */
	bpf_link__destroy(link);
	steer_bpf__destroy(skel);
	return 0;
usage:
	fprintf(stderr, "usage: %s [-p MIN-MAX] [-l PIN] PID FD [FD]\n", argv[0]);
	return 2;
}
