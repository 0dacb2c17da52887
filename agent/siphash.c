/*
 * siphash.c - SipHash (Aumasson and Bernstein, 2012), written from the
 * published algorithm: c compression rounds per 8-byte word, d
 * finalisation rounds, 64-bit output. SipHash-2-4 is checked against the
 * paper's test vectors in tests/unit; SipHash-1-3 runs the same code
 * with fewer rounds.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "siphash.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* load_le64 - 8 bytes as a little-endian number, whatever the host */
static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));	/* one unaligned load */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* siphash - keyed 64-bit hash of len bytes, c and d rounds */
static inline uint64_t
siphash(const uint8_t key[16], const void *data, size_t len, int c, int d)
{
	const uint8_t *p = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t m, last = (uint64_t)len << 56;
	size_t	i, tail = len & 7;
	int	r;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(p + i);
		v3 ^= m;
		for (r = 0; r < c; r++)
			SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	while (tail > 0) {
		tail--;
		last |= (uint64_t)p[i + tail] << (8 * tail);
	}
	v3 ^= last;
	for (r = 0; r < c; r++)
		SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* siphash24 - SipHash-2-4, the paper's reference variant */
uint64_t
siphash24(const uint8_t key[16], const void *data, size_t len)
{
	return siphash(key, data, len, 2, 4);
}

/* siphash13 - SipHash-1-3, for hash tables */
uint64_t
siphash13(const uint8_t key[16], const void *data, size_t len)
{
	return siphash(key, data, len, 1, 3);
}

/* siphash_key - a key from the kernel, or a weaker mix if it refuses */
void
siphash_key(uint8_t key[16])
{
	struct timespec ts;
	uint64_t mix;

	if (getrandom(key, 16, GRND_NONBLOCK) == 16)
		return;
	/* Only reached on kernels without getrandom(2): better than none. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mix = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_sec;
	memcpy(key, &mix, 8);
	mix = ~mix * 0xc2b2ae3d27d4eb4fULL;
	memcpy(key + 8, &mix, 8);
}
