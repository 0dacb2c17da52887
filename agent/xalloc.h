/*
 * xalloc.h - allocation that cannot return NULL.
 *
 * Out of memory is fatal (exit status 1), so callers never test for NULL.
 * Sizes are checked for overflow before they reach the allocator. Every
 * pointer returned here is released with free(3) by its owner, as the
 * owning module's header says.
 */
#ifndef PFQ_XALLOC_H
#define PFQ_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);

#endif
