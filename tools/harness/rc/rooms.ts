/**
 * A room as Rocket.Chat hands it to apps: its rooms converter
 * (apps/meteor/app/apps/server/converters/rooms.ts @ c4a4b34bdb796c816cae7d1c6c249e23c292b7f8,
 * `convertRoom`; the same in the newest version read, @ 2093b92964fd068fca893f9e12040507e72f90cf),
 * which every path that gives an app a room goes through: the room bridge's getById/getByName
 * (bridges/rooms.ts @ acf7dd00, `convertById`), the livechat bridge's room finders and createRoom
 * (bridges/livechat.ts), the events (bridges/listeners.ts @ 065d8c24: IPostLivechatRoomStarted,
 * IPostLivechatRoomClosed, IPostLivechatAgentAssigned `{ room }` converted when the event is
 * handled), a message's room (converters/messages.ts `convertById(rid)`), an upload's room
 * (converters/uploads.ts), a slash command's room (bridges/commands.ts `convertById`) and a UIKit
 * interaction's room.
 *
 * What this models: the room's visitor. A livechat room stores a copy of its visitor taken when it
 * was created (`v`: `{ _id, username, token, status }`, livechat/server/lib/Helper.ts
 * createLivechatRoom); the converter does NOT hand that copy to apps. Its `visitor` mapper reads the
 * visitor again by id, `this.orch.getConverters().get('visitors').convertById(v._id)`, i.e.
 * converters/visitors.ts (@ 749978e74f76e7bfcc28a23729dbb64a58000d9b) `convertById`:
 * `LivechatVisitors.findOneEnabledById(visitorId)` (packages/models/src/models/LivechatVisitors.ts:
 * `findOne({ _id, disabled: { $ne: true } })`, no projection: the whole stored visitor), then
 * `convertVisitor`: transformMappedData with the map
 * `{ id: '_id', username, name, department, updatedAt: '_updatedAt', token, phone, visitorEmails,
 * livechatData, status, activity }` (newer versions add `externalIds`), fields that are undefined left
 * out, every other field of the document under `_unmappedProperties_` (converters/transformMappedData.ts,
 * a deep clone). So an app reads the visitor as it is NOW (a name, a department, livechat data
 * changed since the room opened), and a room whose visitor was deleted or disabled reaches the app
 * with no `visitor` at all.
 *
 * The converter also gives `visitorChannelInfo` from the room's own copy (`v.phone`, `v.lastMessageTs`:
 * the channel the visitor used, set by channels such as SMS; `{}` when neither is there).
 *
 * The harness stores visitors as apps see them (`id`, `createdAt`...), and a livechat room's
 * `visitor` field is the room's own copy (Rocket.Chat's `v`): tests read it as stored. Not modelled:
 * the room's other conversions (its creator, servedBy and department read again by id, its own
 * `_unmappedProperties_`, which keeps the `v` copy), the room `contact` (`contactId`).
 */
import { cloneDeep, HarnessRoom, HarnessWorld, Json } from '../world';

/** The fields converters/visitors.ts maps (app name: they are stored under these names here). */
const MAPPED_VISITOR_FIELDS = [
	'id',
	'username',
	'name',
	'department',
	'updatedAt',
	'token',
	'phone',
	'visitorEmails',
	'livechatData',
	'status',
	'activity',
	// Mapped by the newer versions only (and absent from the visitors the harness stores).
	'externalIds',
];

/**
 * LivechatVisitors.findOneEnabledById: the stored visitor with this id, unless it is disabled
 * (`disabled: { $ne: true }`); undefined when there is none.
 */
export function findOneEnabledVisitorById(world: HarnessWorld, id: unknown): Json | undefined {
	if (typeof id !== 'string') return undefined;
	const visitor = world.visitors.get(id);
	return visitor && visitor.disabled !== true ? visitor : undefined;
}

/**
 * converters/visitors.ts convertVisitor: the mapped fields (undefined ones left out), the others
 * under `_unmappedProperties_` (the document's `ts` is what the harness stores as `createdAt`).
 * A deep copy: what the app gets is not the stored visitor.
 */
export function toAppVisitor(stored: Json): Json {
	// transformMappedData works on a lodash.clonedeep of the document.
	const copy = cloneDeep(stored);
	const visitor: Json = {};
	const unmapped: Json = {};
	for (const [field, value] of Object.entries(copy)) {
		if (MAPPED_VISITOR_FIELDS.includes(field)) {
			if (value !== undefined) visitor[field] = value;
		} else if (field === 'createdAt') unmapped.ts = value;
		else unmapped[field] = value;
	}
	return { ...visitor, _unmappedProperties_: unmapped };
}

/**
 * The room as the rooms converter gives it to apps (see above): a copy of the stored room whose
 * `visitor` is read again by id from the visitor store, or left out when that visitor is gone or
 * disabled; a room with no visitor (not a livechat room) is copied as it is.
 */
export function toAppRoom<T extends Json | undefined>(world: HarnessWorld, room: T): T {
	if (!room) return room;
	const stored = (world.rooms.get(room.id as string) ?? room) as HarnessRoom;
	const { visitor: v, ...rest } = stored;
	if (!v) return { ...stored } as unknown as T;
	const copy = v as Json;
	const visitor = findOneEnabledVisitorById(world, copy.id);
	return {
		...rest,
		...(visitor ? { visitor: toAppVisitor(visitor) } : {}),
		visitorChannelInfo: {
			...(typeof copy.phone === 'string' && copy.phone ? { phone: copy.phone } : {}),
			...(copy.lastMessageTs ? { lastMessageTs: copy.lastMessageTs } : {}),
		},
	} as unknown as T;
}
