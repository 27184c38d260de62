/*
 * cidr — IPv4 CIDR blocks in the strict form AWS writes them: four
 * decimal octets without leading zeros, a prefix of 0 to 32, the host bits
 * zero. Pure; used by the stack file's validators, the subnet layout and
 * the caller's-address check.
 */
#ifndef CRAFT_CORE_CIDR_H
#define CRAFT_CORE_CIDR_H

/*
 * Parses "a.b.c.d/n". Returns 0 (addr and prefix, each may be NULL, get the
 * block), -2 when only the host bits are wrong (a.b.c.d is not the network
 * address), -1 for anything else.
 */
int craft_cidr_parse(const char *s, unsigned *addr, int *prefix);

#endif
