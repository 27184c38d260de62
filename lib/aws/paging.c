/* Paging over NextToken (nextToken in EC2): each page's callback, then the
 * next page's call with the token, until a page has none. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/internal.h"

struct pager {
	struct craft_aws_client *c;
	const char *service;
	char action[128];
	struct craft_query params;
	craft_aws_page_fn page;
	void *page_ud;
	craft_aws_done_fn done;
	void *done_ud;
};

struct sync_ctx {
	craft_code code;
	struct craft_err err;
};

static const char *next_token(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *t = craft_xml_path_text(root, "nextToken");

	/* Query services other than EC2 nest it in <ActionResult>. */
	for (xmlNodePtr n = root ? root->children : NULL; n && !(t && *t); n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			t = craft_xml_path_text(n, "NextToken");
	if (!(t && *t))
		t = craft_xml_path_text(root, "NextToken");
	return t && *t ? t : NULL;
}

static void pager_free(struct pager *pg)
{
	craft_query_release(&pg->params);
	free(pg);
}

static void pager_done(void *ud, const struct craft_aws_result *res)
{
	struct pager *pg = ud;
	struct craft_aws_result *r = (struct craft_aws_result *)(uintptr_t)res;
	const char *tok;

	if (res->code == CRAFT_OK) {
		struct craft_err e;
		craft_code rc;

		craft_err_init(&e);
		rc = pg->page(pg->page_ud, res->doc, &e);
		if (rc != CRAFT_OK) {
			r->code = rc;
			if (!e.code)
				e.code = rc;
			r->err = e;
		} else if ((tok = next_token(res->doc)) != NULL) {
			if (craft_query_set(&pg->params, "NextToken", tok) == CRAFT_OK &&
			    craft_aws_submit(pg->c, pg->service, pg->action, &pg->params,
			                     pager_done, pg) == CRAFT_OK)
				return;
			r->code = craft_err_set(&r->err, CRAFT_ENOMEM, "out of memory");
		}
	}
	if (pg->done)
		pg->done(pg->done_ud, res);
	pager_free(pg);
}

static craft_code submit_paged(struct craft_aws_client *c, const char *service, const char *action,
                               const struct craft_query *params, craft_aws_page_fn page,
                               void *page_ud, craft_aws_done_fn done, void *done_ud)
{
	struct pager *pg;
	int idx = craft_aws_service_index(service);
	craft_code rc;

	if (idx < 0 || !action || !page || strlen(action) >= sizeof(pg->action))
		return CRAFT_EUSAGE;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return CRAFT_ENOMEM;
	pg->c = c;
	pg->service = craft_aws_models[idx]->name;
	memcpy(pg->action, action, strlen(action) + 1);
	pg->page = page;
	pg->page_ud = page_ud;
	pg->done = done;
	pg->done_ud = done_ud;
	rc = craft_query_copy(&pg->params, params);
	if (rc == CRAFT_OK)
		rc = craft_aws_submit(c, service, action, &pg->params, pager_done, pg);
	if (rc != CRAFT_OK)
		pager_free(pg);
	return rc;
}

craft_code craft_aws_submit_paged(struct craft_aws_client *c, const char *service,
                                  const char *action, const struct craft_query *params,
                                  craft_aws_page_fn page, craft_aws_done_fn done, void *ud)
{
	return submit_paged(c, service, action, params, page, ud, done, ud);
}

static void sync_paged_done(void *ud, const struct craft_aws_result *res)
{
	struct sync_ctx *s = ud;

	s->code = res->code;
	s->err = res->err;
}

craft_code craft_aws_paginate(struct craft_aws_client *c, const char *service, const char *action,
                              const struct craft_query *params, craft_aws_page_fn page, void *ud,
                              struct craft_err *err)
{
	struct sync_ctx s;
	craft_code rc;

	if (c->running)
		return craft_err_set(err, CRAFT_EINTERNAL, "craft_aws_paginate from a callback");
	memset(&s, 0, sizeof(s));
	s.code = CRAFT_EINTERNAL;
	rc = submit_paged(c, service, action, params, page, ud, sync_paged_done, &s);
	if (rc != CRAFT_OK)
		return craft_err_set(err, rc, "cannot call %s %s", service ? service : "",
		                     action ? action : "");
	rc = craft_aws_run(c, err);
	if (rc != CRAFT_OK)
		return rc;
	if (s.code != CRAFT_OK && err)
		*err = s.err;
	return s.code;
}
