/**
 * The "Roles allowed to ..." settings against a user's roles. Rocket.Chat keeps a user's roles by id
 * (`users.roles`; `addUserRolesAsync(userId, roleIds)`): a built-in role's id is its name ("admin",
 * "livechat-agent"), but a custom role's is random (`Roles.createWithRandomId`, the roles.create
 * endpoint), while an admin types its name. An entry that matches none of the user's roles as it is
 * is looked up (its id by its name), and only then: one read per entry, all at once.
 */

/** A role's id by its id or name (Rocket.Chat's `Roles.findOneByIdOrName`); undefined when there is none. */
export type RoleIdOf = (idOrName: string) => Promise<string | undefined>;

/** Whether a user with `roles` holds one of `allowed`, by id or (through `idOf`) by name. A failed look-up counts as no match. */
export async function holdsRole(roles: string[] | undefined, allowed: string[], idOf?: RoleIdOf): Promise<boolean> {
	const held = roles ?? [];
	if (held.some((role) => allowed.includes(role))) return true;
	if (!idOf || !held.length) return false;
	// At once: a user allowed through a custom role waits for one round trip, not one per entry.
	const ids = await Promise.all(allowed.map((entry) => idOf(entry).catch(() => undefined)));
	return ids.some((id) => id !== undefined && held.includes(id));
}
