/* The table of resource kinds: every row complete and consistent, so a new
 * kind that forgets a function or a delete order fails here, not on AWS. */
#include <criterion/criterion.h>
#include <string.h>

#include "infra/kind.h"

Test(kind, every_kind_has_a_row_and_a_unique_name)
{
	for (int k = 0; k < CRAFT_K__COUNT; k++) {
		cr_assert_not_null(craft_kinds[k], "kind %d has no row", k);
		cr_assert_not_null(craft_kinds[k]->name);
		cr_assert_str_eq(craft_kind_name((enum craft_kind)k), craft_kinds[k]->name);
		for (int j = 0; j < k; j++)
			cr_assert_str_neq(craft_kinds[j]->name, craft_kinds[k]->name);
	}
	cr_assert_str_eq(craft_kind_name(CRAFT_K__COUNT), "?");
}

Test(kind, tagged_kinds_are_discovered_created_and_deleted)
{
	for (int k = 0; k < CRAFT_K__COUNT; k++) {
		const struct craft_kind_def *d = craft_kinds[k];

		cr_assert_not_null(d->create, "%s cannot be created", d->name);
		cr_assert_eq(craft_kind_tagged((enum craft_kind)k), d->tagged);
		if (!d->tagged)
			continue;
		cr_assert_not_null(d->describe, "%s: tagged but never described", d->name);
		cr_assert(strncmp(d->describe, "Describe", 8) == 0, "%s: %s", d->name, d->describe);
		cr_assert_not_null(d->parse, "%s: described but not parsed", d->name);
		cr_assert_not_null(d->remove, "%s: tagged but never deleted", d->name);
		cr_assert_not_null(d->update, "%s: tags are repaired by an update", d->name);
	}
	/* the image is a lookup, not a resource */
	cr_assert_eq(craft_kinds[CRAFT_K_IMAGE]->tagged, 0);
	cr_assert_null(craft_kinds[CRAFT_K_IMAGE]->remove);
}

/* Deletes wait for the kinds in delete_after: that order must have no cycle
 * (else destroy would never start some of them) and no self-wait. */
Test(kind, delete_order_has_no_cycle)
{
	int done[CRAFT_K__COUNT] = { 0 }, ndone = 0, progress = 1;

	for (int k = 0; k < CRAFT_K__COUNT; k++)
		cr_assert_eq(craft_kinds[k]->delete_after & CRAFT_KIND_BIT(k), 0u,
		             "%s waits for itself", craft_kinds[k]->name);
	while (progress) {
		progress = 0;
		for (int k = 0; k < CRAFT_K__COUNT; k++) {
			int ready = !done[k];

			for (int j = 0; ready && j < CRAFT_K__COUNT; j++)
				if ((craft_kinds[k]->delete_after & CRAFT_KIND_BIT(j)) && !done[j])
					ready = 0;
			if (ready) {
				done[k] = 1;
				ndone++;
				progress = 1;
			}
		}
	}
	cr_assert_eq(ndone, CRAFT_K__COUNT, "the delete order has a cycle");
	/* what AWS refuses otherwise */
	cr_assert(craft_kinds[CRAFT_K_VPC]->delete_after & CRAFT_KIND_BIT(CRAFT_K_SUBNET));
	cr_assert(craft_kinds[CRAFT_K_SG]->delete_after & CRAFT_KIND_BIT(CRAFT_K_INSTANCE));
	cr_assert(craft_kinds[CRAFT_K_IGW]->delete_after & CRAFT_KIND_BIT(CRAFT_K_EIP));
}

Test(kind, vpc_children_are_scoped_to_the_vpc)
{
	cr_assert(craft_kinds[CRAFT_K_SUBNET]->vpc_scoped);
	cr_assert(craft_kinds[CRAFT_K_RTB]->vpc_scoped);
	cr_assert(craft_kinds[CRAFT_K_SG]->vpc_scoped);
	cr_assert(craft_kinds[CRAFT_K_INSTANCE]->vpc_scoped);
	cr_assert_not(craft_kinds[CRAFT_K_VPC]->vpc_scoped);
	cr_assert_not(craft_kinds[CRAFT_K_KEY]->vpc_scoped);
}
