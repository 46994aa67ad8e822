/**
 * The names of omnichannel departments, for the numbers' list and Edit form (which store a
 * department's ID). Looked up as the app resolves departments everywhere, by ID or name through the
 * engine's livechat reader (getLivechatDepartmentByIdOrName: the bridge's findDepartmentByIdOrName,
 * `LivechatDepartment.findOneByIdOrName`). A department not found (deleted since) or a lookup that
 * fails is left out: the view shows the stored value then.
 */
import { IRead } from '@rocket.chat/apps-engine/definition/accessors';

/** The name of each department `ids` names (each looked up once), by the value given. */
export async function departmentNames(read: IRead, ids: Array<string | undefined>): Promise<Record<string, string>> {
	const livechat = read.getLivechatReader();
	const names: Record<string, string> = {};
	for (const id of new Set(ids.filter((v): v is string => Boolean(v)))) {
		const department = await livechat.getLivechatDepartmentByIdOrName(id).catch(() => undefined);
		if (department?.name) names[id] = department.name;
	}
	return names;
}
