/* The table of resource kinds, in the order of enum craft_kind. */
#include "infra/kind.h"

const struct craft_kind_def *const craft_kinds[CRAFT_K__COUNT] = {
	[CRAFT_K_IMAGE] = &craft_kind_image,
	[CRAFT_K_VPC] = &craft_kind_vpc,
	[CRAFT_K_IGW] = &craft_kind_igw,
	[CRAFT_K_SUBNET] = &craft_kind_subnet,
	[CRAFT_K_RTB] = &craft_kind_rtb,
	[CRAFT_K_ROUTE] = &craft_kind_route,
	[CRAFT_K_RTB_ASSOC] = &craft_kind_rtb_assoc,
	[CRAFT_K_SG] = &craft_kind_sg,
	[CRAFT_K_KEY] = &craft_kind_key,
	[CRAFT_K_INSTANCE] = &craft_kind_instance,
	[CRAFT_K_EIP] = &craft_kind_eip,
	[CRAFT_K_EIP_ASSOC] = &craft_kind_eip_assoc,
	[CRAFT_K_VOLUME] = &craft_kind_volume,
	[CRAFT_K_VOLUME_ATTACH] = &craft_kind_volume_attach,
};
