/*
 * siphash.h - SipHash, a keyed hash for tables whose keys come from
 * attackers.
 *
 * Sender addresses are chosen by whoever sends the mail; with an unkeyed
 * hash a spammer could pick senders that all collide and turn every
 * table insert into a linear search. The key is random per process.
 *
 * siphash13() is SipHash-1-3, the variant Python and Rust use for their
 * hash tables: half the rounds of the paper's SipHash-2-4, which
 * siphash24() computes with the same code (and the tests check against
 * the paper's vectors). siphash_key() makes a process's random key.
 */
#ifndef PFQ_SIPHASH_H
#define PFQ_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash13(const uint8_t key[16], const void *data, size_t len);
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
void	siphash_key(uint8_t key[16]);

#endif
