#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "diagram/graphviz.h"

static const char small[] = "digraph g { a -> b [label=\"x\"] }\n";

Test(graphviz, svg_is_an_svg_document)
{
	struct craft_buf out = CRAFT_BUF_INIT(1u << 20);
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_graphviz_render(&out, small, strlen(small), "svg", &err), CRAFT_OK, "%s",
	             err.msg);
	cr_assert(strstr(craft_buf_str(&out), "<svg"));
	cr_assert(strstr(craft_buf_str(&out), "</svg>"));
	cr_assert(strstr(craft_buf_str(&out), "<title>a&#45;&gt;b</title>"));
	craft_buf_release(&out);
}

Test(graphviz, png_has_the_signature)
{
	struct craft_buf out = CRAFT_BUF_INIT(1u << 22);
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_graphviz_render(&out, small, strlen(small), "png", &err), CRAFT_OK, "%s",
	             err.msg);
	cr_assert_gt(out.len, 8);
	cr_assert_eq(memcmp(out.data, "\x89PNG\r\n\x1a\n", 8), 0);
	craft_buf_release(&out);
}

Test(graphviz, a_large_graph_streams_both_ways)
{
	/* far more than a pipe buffer in and out, so the poll loop must interleave */
	struct craft_buf in = CRAFT_BUF_INIT(1u << 22);
	struct craft_buf out = CRAFT_BUF_INIT(1u << 24);
	struct craft_err err;

	craft_buf_addstr(&in, "digraph g {\n");
	for (int i = 0; i < 3000; i++)
		craft_buf_printf(&in, "n%d -> n%d [label=\"edge number %d\"]\n", i, i + 1, i);
	craft_buf_addstr(&in, "}\n");
	cr_assert_gt(in.len, 100000);
	craft_err_init(&err);
	cr_assert_eq(craft_graphviz_render(&out, in.data, in.len, "canon", &err), CRAFT_OK, "%s",
	             err.msg);
	cr_assert(strstr(craft_buf_str(&out), "n2999 -> n3000"));
	craft_buf_release(&in);
	craft_buf_release(&out);
}

Test(graphviz, broken_dot_reports_dots_message)
{
	struct craft_buf out = CRAFT_BUF_INIT(1u << 20);
	struct craft_err err;
	const char *bad = "digraph { a -> }";

	craft_err_init(&err);
	cr_assert_eq(craft_graphviz_render(&out, bad, strlen(bad), "svg", &err), CRAFT_EIO);
	cr_assert(strstr(err.msg, "dot -Tsvg failed (exit 1): "), "%s", err.msg);
	cr_assert(strstr(err.msg, "syntax error"), "%s", err.msg);
	cr_assert_eq(out.len, 0);
}

Test(graphviz, bad_format_is_refused_before_running)
{
	struct craft_buf out = CRAFT_BUF_INIT(1u << 20);
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_graphviz_render(&out, small, strlen(small), "svg -o /tmp/x", &err),
	             CRAFT_EUSAGE);
	cr_assert_eq(craft_graphviz_render(&out, small, strlen(small), "", &err), CRAFT_EUSAGE);
}

Test(graphviz, missing_dot_says_install_graphviz)
{
	struct craft_buf out = CRAFT_BUF_INIT(1u << 20);
	struct craft_err err;

	/* each Criterion test runs in its own process */
	setenv("PATH", "/nonexistent-craftctl-test", 1);
	craft_err_init(&err);
	cr_assert_eq(craft_graphviz_render(&out, small, strlen(small), "svg", &err),
	             CRAFT_ENOTFOUND);
	cr_assert(strstr(err.msg, "install graphviz"), "%s", err.msg);
}
