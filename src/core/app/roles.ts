/**
 * The "Roles allowed to ..." settings against a user's roles. Rocket.Chat keeps a user's roles by id
 * (`users.roles`; `addUserRolesAsync(userId, roleIds)`): a built-in role's id is its name ("admin",
 * "livechat-agent"), but a custom role's is random (`Roles.createWithRandomId`, the roles.create
 * endpoint), while an admin types its name. An entry that matches none of the user's roles as it is
 * is looked up (its id by its name), and only then: one read per such entry.
 */

/** A role's id by its id or name (Rocket.Chat's `Roles.findOneByIdOrName`); undefined when there is none. */
export type RoleIdOf = (idOrName: string) => Promise<string | undefined>;

/** Whether a user with `roles` holds one of `allowed`, by id or (through `idOf`) by name. A failed look-up counts as no match. */
export async function holdsRole(roles: string[] | undefined, allowed: string[], idOf?: RoleIdOf): Promise<boolean> {
	const held = roles ?? [];
	if (held.some((role) => allowed.includes(role))) return true;
	if (!idOf || !held.length) return false;
	for (const entry of allowed) {
		const id = await idOf(entry).catch(() => undefined);
		if (id !== undefined && held.includes(id)) return true;
	}
	return false;
}
