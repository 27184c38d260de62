#include "core/cidr.h"

#include <ctype.h>
#include <stdlib.h>

int craft_cidr_parse(const char *s, unsigned *addr, int *prefix)
{
	unsigned a = 0;
	long pre;
	const char *p = s;
	char *end;

	for (int i = 0; i < 4; i++) {
		long oct;

		if (!isdigit((unsigned char)*p))
			return -1;
		oct = strtol(p, &end, 10);
		if (oct < 0 || oct > 255 || end - p > 3 || (end - p > 1 && *p == '0'))
			return -1;
		a = (a << 8) | (unsigned)oct;
		p = end;
		if (i < 3) {
			if (*p != '.')
				return -1;
			p++;
		}
	}
	if (*p != '/' || !isdigit((unsigned char)p[1]))
		return -1;
	pre = strtol(p + 1, &end, 10);
	if (*end || pre < 0 || pre > 32 || end - (p + 1) > 2)
		return -1;
	if (pre < 32 && (a & (0xffffffffu >> pre)) != 0)
		return -2; /* host bits set */
	if (addr)
		*addr = a;
	if (prefix)
		*prefix = (int)pre;
	return 0;
}
