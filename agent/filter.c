/*
 * filter.c - match a message against "pfqmon select" filters (filter.h).
 *
 * Trusts nothing in the message: every value is a bounded byte string
 * that may hold anything. Filter values come from the command line and
 * are checked once, in filter_add(), and kept in the form they are
 * compared in, so matching is a few byte comparisons per message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "filter.h"
#include "settings.h"
#include "xalloc.h"

static const char *const queue_names[] = SCHEMA_QUEUE_NAMES;

/* filter_init - no filter: filter_empty() is true */
void
filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
}

/* filter_free - the keys' text */
void
filter_free(struct filter *f)
{
	size_t	k, i;

	for (k = 0; k < FILTER_CLIENT; k++)
		for (i = 0; i < f->nkeys[k]; i++)
			free(f->keys[k][i].text);
	filter_init(f);
}

/* filter_empty - would select every message */
int
filter_empty(const struct filter *f)
{
	size_t	k;

	for (k = 0; k < FILTER_CLIENT; k++)
		if (f->nkeys[k])
			return 0;
	return f->nnets == 0 && f->queues == 0 && !f->have_older;
}

/* filter_needs_identity - only the queue files can answer */
int
filter_needs_identity(const struct filter *f)
{
	return f->nkeys[FILTER_SASL] > 0 || f->nnets > 0;
}

/* filter_queues - the queues a match can be in */
unsigned
filter_queues(const struct filter *f)
{
	return f->queues ? f->queues : FILTER_DEFAULT_QUEUES;
}

/* bad_net - the reason a --client value is refused */
static int
bad_net(const char *v, size_t len, char *err, size_t errlen)
{
	if (memchr(v, '%', len))
		snprintf(err, errlen, "no zone index: Postfix stores a client "
		    "address without one (fe80::1, not fe80::1%%eth0)");
	else
		snprintf(err, errlen, "not an IP address or prefix, like "
		    "192.0.2.1, 192.0.2.0/24, 2001:db8::25 or 2001:db8::/32");
	return -1;
}

/*
 * add_net - "192.0.2.1", "192.0.2.0/24", "[2001:db8::]/32",
 * "IPv6:2001:db8::25" (pasted from a log or queue file). The prefix
 * length counts in the notation's bits: 0-32 for IPv4 text, 0-128 for
 * IPv6 text, so ::ffff:192.0.2.0/120 is 192.0.2.0/24.
 */
static int
add_net(struct filter *f, const char *v, char *err, size_t errlen)
{
	struct filter_net *n = &f->nets[f->nnets];
	const char *slash = strchr(v, '/');
	size_t	len = slash ? (size_t)(slash - v) : strlen(v), i;
	unsigned long prefix;
	unsigned max;
	char   *end;
	int	family;

	if (len >= 2 && v[0] == '[' && v[len - 1] == ']') {
		v++;
		len -= 2;
	}
	if ((family = addr_ip_parse(n->addr, v, len)) < 0)
		return bad_net(v, len, err, errlen);
	max = family == 4 ? 32 : 128;
	n->prefix = 128;
	if (slash) {
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || errno
		    || prefix > max) {
			snprintf(err, errlen, "bad prefix length (at most %u)", max);
			return -1;
		}
		n->prefix = (unsigned)prefix + 128 - max;
	}
	/* Host bits below the prefix do not matter: clear them. */
	for (i = 0; i < 16; i++) {
		unsigned keep = n->prefix >= (i + 1) * 8 ? 8 : n->prefix > i * 8 ?
		    n->prefix - i * 8 : 0;

		n->addr[i] &= (unsigned char)(0xff00u >> keep);
	}
	/*
	 * Inside ::ffff:0:0/96 the filter is an IPv4 one; any other is an
	 * IPv6 one, even ::/0: it never matches an IPv4 client.
	 */
	n->v4 = n->prefix >= 96 && addr_ip_mapped(n->addr);
	f->nnets++;
	return 0;
}

/* net_match - is addr inside n? */
static int
net_match(const struct filter_net *n, const unsigned char addr[16])
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (memcmp(n->addr, addr, full) != 0)
		return 0;
	return rest == 0 || ((addr[full] ^ n->addr[full]) &
	    (unsigned char)(0xff00u >> rest)) == 0;
}

/* add_key - a sender, SASL name or domain, in the form it is compared */
static int
add_key(struct filter *f, enum filter_kind k, const char *v, char *err,
    size_t errlen)
{
	struct filter_key *key = &f->keys[k][f->nkeys[k]];
	char	internal[QF_VALUE_MAX], out[QF_VALUE_MAX];
	size_t	len = strlen(v), n;
	int	sub = 0;

	if (len >= QF_VALUE_MAX) {
		snprintf(err, errlen, "longer than %d bytes", QF_VALUE_MAX - 1);
		return -1;
	}
	switch (k) {
	case FILTER_SENDER:
		n = strcmp(v, "<>") == 0 ? 0 :
		    addr_internal_form(internal, sizeof(internal), v, len);
		n = addr_sender_key(out, sizeof(out), internal, n);
		break;
	case FILTER_SASL:
		if (len == 0) {
			snprintf(err, errlen, "empty");
			return -1;
		}
		n = addr_sender_key(out, sizeof(out), v, len);
		break;
	default:			/* the domains */
		if (v[0] == '.') {
			sub = 1;
			v++;
			len--;
		}
		if (len == 0 || memchr(v, '@', len) || strspn(v, ".") == len) {
			snprintf(err, errlen, "want a domain like example.com, or "
			    ".example.com for its subdomains");
			return -1;
		}
		/* The null sender's domain, as the sender_domain tag shows it. */
		if (!sub && strcmp(v, KEY_NULL_SENDER) == 0)
			n = addr_sender_key(out, sizeof(out), "", 0);
		else
			n = addr_domain_key(out, sizeof(out), v, len);
		break;
	}
	key->text = xmalloc(n + 1);
	memcpy(key->text, out, n);
	key->text[n] = '\0';
	key->len = n;
	key->subdomains = sub;
	f->nkeys[k]++;
	return 0;
}

/* hex_value - one hexadecimal digit, or -1 */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * filter_unescape - "%HH" and "+" back to bytes, into out (cap bytes,
 * NUL-terminated); -1 for a broken escape, an encoded NUL (no tag value
 * holds one), or a result that does not fit.
 */
int
filter_unescape(const char *in, char *out, size_t cap)
{
	size_t	n = 0;
	int	hi, lo;

	for (; *in; in++) {
		if (n + 1 >= cap)
			return -1;
		if (*in == '+')
			out[n++] = ' ';
		else if (*in != '%')
			out[n++] = *in;
		else {
			if ((hi = hex_value(in[1])) < 0 || (lo = hex_value(in[2])) < 0
			    || (hi | lo) == 0)
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			in += 2;
		}
	}
	if (cap == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* filter_add - see filter.h; -1 with the reason in err */
int
filter_add(struct filter *f, enum filter_kind k, const char *v, char *err,
    size_t errlen)
{
	size_t	q;

	if ((k < FILTER_CLIENT && f->nkeys[k] == FILTER_VALUES_MAX)
	    || (k == FILTER_CLIENT && f->nnets == FILTER_VALUES_MAX)) {
		snprintf(err, errlen, "at most %d values", FILTER_VALUES_MAX);
		return -1;
	}
	switch (k) {
	case FILTER_CLIENT:
		return add_net(f, v, err, errlen);
	case FILTER_QUEUE:
		for (q = 0; q < Q_MAIL_COUNT; q++)
			if (strcmp(v, queue_names[q]) == 0) {
				f->queues |= 1u << q;
				return 0;
			}
		snprintf(err, errlen, "want maildrop, incoming, active, deferred "
		    "or hold%s", strcmp(v, queue_names[Q_CORRUPT]) == 0 ?
		    "; corrupt files have no envelope to select by" : "");
		return -1;
	case FILTER_OLDER:
		if (f->have_older) {
			snprintf(err, errlen, "give it once");
			return -1;
		}
		if (settings_parse_duration(v, &f->older_ms) < 0) {
			snprintf(err, errlen, "want a duration like 30m, 2h or 3d");
			return -1;
		}
		f->have_older = 1;
		return 0;
	case FILTER_KINDS:
		break;
	default:
		return add_key(f, k, v, err, errlen);
	}
	snprintf(err, errlen, "unknown filter");
	return -1;
}

/* key_match - does the key form of a value equal one of the keys? */
static int
key_match(const struct filter *f, enum filter_kind k, const char *v, size_t len)
{
	const struct filter_key *key;
	size_t	i;

	for (i = 0; i < f->nkeys[k]; i++) {
		key = &f->keys[k][i];
		if (key->subdomains ? len > key->len && v[len - key->len - 1] == '.'
		    && memcmp(v + len - key->len, key->text, key->len) == 0
		    : len == key->len && memcmp(v, key->text, len) == 0)
			return 1;
	}
	return 0;
}

/* rcpt_domain_match - one pending recipient in a matching domain */
static int
rcpt_domain_match(const struct filter *f, const struct qf_msg *m)
{
	char	dom[QF_VALUE_MAX];
	size_t	i, n;

	for (i = 0; i < m->ndomains; i++) {
		n = addr_domain_key(dom, sizeof(dom), m->domain_base +
		    m->domains[i].off, m->domains[i].len);
		if (key_match(f, FILTER_RCPT_DOMAIN, dom, n))
			return 1;
	}
	return 0;
}

/*
 * client_match - the client address inside one of the prefixes of its
 * family; Postfix's "IPv6:" form and an IPv4-mapped address are read as
 * the client_address tag shows them.
 */
static int
client_match(const struct filter *f, const struct qf_str *client)
{
	unsigned char addr[16];
	size_t	i;
	int	v4;

	if (client->p == NULL || addr_ip_parse(addr, client->p, client->len) < 0)
		return 0;
	v4 = addr_ip_mapped(addr);
	for (i = 0; i < f->nnets; i++)
		if (f->nets[i].v4 == v4 && net_match(&f->nets[i], addr))
			return 1;
	return 0;
}

/* older_match - arrived more than older_ms before now */
static int
older_match(const struct filter *f, int64_t arrival, int64_t now)
{
	uint64_t age;

	if (arrival >= now)
		return 0;
	/* Unsigned: any two int64 values differ by less than 2^64. */
	age = (uint64_t)now - (uint64_t)arrival;
	return age > f->older_ms / 1000;
}

/* filter_match - see filter.h; cheapest tests first */
int
filter_match(const struct filter *f, enum pfq_queue q, const struct qf_msg *m,
    int64_t now)
{
	char	key[QF_VALUE_MAX];
	size_t	n;

	if (!(filter_queues(f) & (1u << q)))
		return 0;
	if (f->have_older && !older_match(f, m->arrival, now))
		return 0;
	if (f->nnets && !client_match(f, &m->client_address))
		return 0;
	if (f->nkeys[FILTER_SENDER]) {
		n = addr_sender_key(key, sizeof(key), m->sender.p, m->sender.len);
		if (!key_match(f, FILTER_SENDER, key, n))
			return 0;
	}
	if (f->nkeys[FILTER_SENDER_DOMAIN]) {
		n = addr_domain_key(key, sizeof(key), m->sender.p, m->sender.len);
		if (!key_match(f, FILTER_SENDER_DOMAIN, key, n))
			return 0;
	}
	if (f->nkeys[FILTER_SASL]) {
		if (m->sasl_username.p == NULL || m->sasl_username.len == 0)
			return 0;
		n = addr_sender_key(key, sizeof(key), m->sasl_username.p,
		    m->sasl_username.len);
		if (!key_match(f, FILTER_SASL, key, n))
			return 0;
	}
	if (f->nkeys[FILTER_RCPT_DOMAIN] && !rcpt_domain_match(f, m))
		return 0;
	return 1;
}
