/*
 * addr.h - the keys pfqmon reports for mail and client addresses.
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
 *
 * addr_ip_parse() reads an IP address the way Postfix stores a client's
 * and an admin pastes one: dotted-quad IPv4, IPv6 text, or IPv6 text
 * behind the RFC 5321 tag "IPv6:" (any case; Postfix writes it in
 * log_client_address for every IPv6 client). It gives the 16 bytes of
 * the address, IPv4 as ::ffff:a.b.c.d, and returns 4 or 6 for the
 * notation read, -1 for anything else: "IPv6:" before IPv4 text, a
 * zone index (fe80::1%eth0, which Postfix never stores), brackets,
 * blanks, or ADDR_IP_TEXT_MAX bytes or more. addr_ip_mapped() says
 * whether 16 bytes are an IPv4 address (::ffff:0:0/96): pfqmon counts
 * such a client as IPv4, as Postfix does when IPv4 is enabled.
 *
 * addr_client_key() gives the client_address tag: the bare address in
 * the form inet_ntop(3) prints it (RFC 5952: lower case, no leading
 * zeros, the longest run of zero groups as "::"; Postfix's own form),
 * an IPv4-mapped address as dotted-quad IPv4; a value that is not an
 * address is kept as stored. The key of a value is an address exactly
 * when the value is, and the same one.
 */
#ifndef PFQ_ADDR_H
#define PFQ_ADDR_H

#include <stddef.h>

size_t	addr_sender_key(char *dst, size_t cap, const char *addr, size_t len);
size_t	addr_domain_key(char *dst, size_t cap, const char *addr, size_t len);
size_t	addr_internal_form(char *dst, size_t cap, const char *addr, size_t len);

#define ADDR_IP_TEXT_MAX	64	/* "IPv6:" and text this long: no address */

int	addr_ip_parse(unsigned char out[16], const char *text, size_t len);
int	addr_ip_mapped(const unsigned char addr[16]);
size_t	addr_client_key(char *dst, size_t cap, const char *addr, size_t len);

#endif
