/*
 * xalloc.c - die-on-failure wrappers around malloc(3) and friends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "xalloc.h"

/* out_of_memory - nothing sensible can follow an allocation failure */
static void __attribute__((noreturn))
out_of_memory(size_t n)
{
	msg_fatal(MSG_EXIT_FAIL, "out of memory allocating %zu bytes", n);
}

/* xmalloc - malloc or die; never returns NULL, even for size 0 */
void *
xmalloc(size_t n)
{
	void   *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

/* xcalloc - zeroed array of nmemb elements, overflow-checked */
void *
xcalloc(size_t nmemb, size_t size)
{
	void   *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		out_of_memory(nmemb * size);
	return p;
}

/* xreallocarray - resize an array of nmemb elements, overflow-checked */
void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	void   *p;
	size_t	n;

	if (size != 0 && nmemb > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	n = nmemb * size;
	p = realloc(old, n != 0 ? n : 1);
	if (p == NULL)
		out_of_memory(nmemb * size);
	return p;
}

/* xstrdup - copy a C string or die */
char *
xstrdup(const char *s)
{
	size_t	n = strlen(s) + 1;
	char   *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}
