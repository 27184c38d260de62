/*
 * graphviz — turns DOT text into a picture by running Graphviz's `dot`
 * (Debian's graphviz package), found on PATH.
 *
 * The DOT text goes to dot's standard input and the picture comes back from
 * its standard output, both through descriptors of our own (no temporary
 * files, no shell). Writing to a dot that died early is an error, never a
 * SIGPIPE. A dot that is not installed is CRAFT_ENOTFOUND with a message
 * that says to install graphviz; a dot that fails is CRAFT_EIO carrying the
 * first line of what it printed; one that runs over 60 s is killed
 * (CRAFT_ETIMEOUT).
 */
#ifndef CRAFT_DIAGRAM_GRAPHVIZ_H
#define CRAFT_DIAGRAM_GRAPHVIZ_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

/* Runs `dot -T<format>` (format: [a-z0-9:]+, e.g. svg, png) on dot_text and
 * appends its output to out. */
craft_code craft_graphviz_render(struct craft_buf *out, const char *dot_text, size_t len,
                                 const char *format, struct craft_err *err);

#endif
