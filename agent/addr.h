/*
 * addr.h - the keys pfqmon reports for mail addresses.
 *
 * addr_sender_key() gives the sender as the sender tag shows it: the null
 * sender becomes MAILER-DAEMON (as postqueue and qshape show it); the
 * domain part, after the last '@', is lower-cased (ASCII only); the local
 * part is kept as Postfix stored it, in its internal unquoted form.
 *
 * addr_domain_key() gives qshape's domain of an address: the text after
 * the last '@' (the whole address when there is none), lower-cased, with
 * runs of dots collapsed and one leading and one trailing dot removed. The
 * null address gives MAILER-DAEMON and an empty domain "(none)".
 *
 * addr_internal_form() turns the RFC 5321 form that showq prints and
 * people type ("a b"@example.com, MAILER-DAEMON for the null sender)
 * into the form Postfix stores (a b@example.com, the empty string).
 *
 * All three write at most cap bytes to dst and return the length; they do not
 * sanitise (tagval_clean() does that); the keys are never empty for
 * cap > 0.
 */
#ifndef PFQ_ADDR_H
#define PFQ_ADDR_H

#include <stddef.h>

size_t	addr_sender_key(char *dst, size_t cap, const char *addr, size_t len);
size_t	addr_domain_key(char *dst, size_t cap, const char *addr, size_t len);
size_t	addr_internal_form(char *dst, size_t cap, const char *addr, size_t len);

#endif
