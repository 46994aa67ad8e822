/**
 * The message log contract (src/core/app/ports.ts, `MessageLog`) as tests: the in-memory twin and
 * the store over Rocket.Chat's persistence pass the same suite.
 */
import { MessageLog, SentMessage } from '../../../../../src/core/app/ports';

const today = new Date().toISOString().slice(0, 10);
const sent = (fields: Partial<SentMessage> = {}): SentMessage => ({
	wamid: 'wamid.A',
	phoneNumberId: '111',
	connectedWhatsAppNo: '15550001111',
	mobileNo: '5511988887777',
	message: 'hello',
	type: 'Regular-Message',
	sentAt: `${today}T10:00:00.000Z`,
	...fields,
});

export function messageLogContract(name: string, makeLog: () => Promise<MessageLog> | MessageLog): void {
	describe(`${name}: the message log contract`, () => {
		let log: MessageLog;
		beforeEach(async () => {
			log = await makeLog();
		});

		it('finds a recorded send by its wamid, and a refused send (no wamid) by none', async () => {
			await log.record(sent());
			await log.record(sent({ wamid: undefined, sendId: 'send-1', mobileNo: '5511900000000' }));
			expect(await log.findByWamid('wamid.A')).toMatchObject({ wamid: 'wamid.A', mobileNo: '5511988887777' });
			expect(await log.findByWamid('wamid.unknown')).toBeUndefined();
		});

		it("saves a send's progress, and refuses to update a send without a wamid", async () => {
			await log.record(sent({ statuses: ['queued'] }));
			const record = (await log.findByWamid('wamid.A')) as SentMessage;
			await log.update({ ...record, statuses: ['queued', 'sent'] });
			expect((await log.findByWamid('wamid.A'))?.statuses).toEqual(['queued', 'sent']);
			await expect(log.update(sent({ wamid: undefined, sendId: 'send-2' }))).rejects.toThrow();
		});

		it('resolves a pending send: linked to its wamid it is found by it, and its pending record is gone', async () => {
			const pending = sent({ wamid: undefined, sendId: 's-1', pending: true, batch: 'b-1', statuses: [] });
			await log.record(pending);
			await log.record(sent({ wamid: undefined, sendId: 's-2', pending: true, batch: 'b-1', mobileNo: '5511900000002' }));
			expect(await log.findByWamid('wamid.A')).toBeUndefined();
			expect((await log.findByBatch('b-1')).map((m) => [m.sendId, m.pending])).toEqual(
				expect.arrayContaining([
					['s-1', true],
					['s-2', true],
				]),
			);
			await log.resolve({ ...pending, wamid: 'wamid.A', waId: '5511988880000', statuses: ['queued'] });
			const linked = await log.findByWamid('wamid.A');
			expect(linked).toMatchObject({ wamid: 'wamid.A', sendId: 's-1', batch: 'b-1', statuses: ['queued'] });
			expect(linked?.pending).toBeFalsy();
			const batch = await log.findByBatch('b-1');
			expect(batch).toHaveLength(2);
			expect(batch.find((m) => m.sendId === 's-1')).toMatchObject({ wamid: 'wamid.A' });
			expect(await log.findByBatch('b-2')).toEqual([]);
			// The linked record is updated like any other, and found by the wa_id Meta answered.
			await log.update({ ...(linked as SentMessage), statuses: ['queued', 'sent'] });
			expect((await log.findByWamid('wamid.A'))?.statuses).toEqual(['queued', 'sent']);
			expect((await log.findByBatch('b-1')).find((m) => m.sendId === 's-1')?.statuses).toEqual(['queued', 'sent']);
		});

		it('writes pending sends together: each found by its batch until its group is removed, resolved ones by their wamid', async () => {
			const group = ['s-7', 's-8'].map((sendId, n) =>
				sent({
					wamid: undefined,
					sendId,
					pending: true,
					pendingGroup: 'g-1',
					batch: 'b-7',
					mobileNo: `55119000000${n}`,
					statuses: [],
				}),
			);
			await log.recordPending(group);
			expect((await log.findByBatch('b-7')).map((m) => [m.sendId, m.pending]).sort()).toEqual([
				['s-7', true],
				['s-8', true],
			]);
			await log.resolve({ ...group[0], pending: undefined, wamid: 'wamid.G', statuses: ['queued'] });
			const linked = await log.findByWamid('wamid.G');
			expect(linked).toMatchObject({ sendId: 's-7', statuses: ['queued'] });
			expect(linked?.pending).toBeFalsy();
			expect(linked?.pendingGroup).toBeUndefined();
			await log.resolve({ ...group[1], pending: undefined, statuses: ['failed'] });
			await log.removePending('g-1');
			expect((await log.findByBatch('b-7')).map((m) => [m.sendId, m.wamid, m.pending]).sort()).toEqual([
				['s-7', 'wamid.G', undefined],
				['s-8', undefined, undefined],
			]);
			await log.recordPending([sent({ wamid: undefined, sendId: 's-9', pending: true, pendingGroup: 'g-2', batch: 'b-8' })]);
			await log.removeDay(today);
			expect(await log.findByBatch('b-8')).toEqual([]);
		});

		it('lists every pending send, alone or written together, until it is resolved or its group removed', async () => {
			await log.record(sent({ wamid: undefined, sendId: 's-1', pending: true, batch: 'b-1', statuses: [] }));
			await log.record(sent({ wamid: 'wamid.Z', sendId: 's-0', batch: 'b-1' }));
			await log.recordPending(
				['s-2', 's-3'].map((sendId) =>
					sent({ wamid: undefined, sendId, pending: true, pendingGroup: 'g-1', batch: 'b-2', statuses: [] }),
				),
			);
			expect((await log.pendingSends()).map((m) => [m.sendId, m.batch, m.pending]).sort()).toEqual([
				['s-1', 'b-1', true],
				['s-2', 'b-2', true],
				['s-3', 'b-2', true],
			]);
			await log.resolve(sent({ sendId: 's-1', pending: true, batch: 'b-1', wamid: 'wamid.A', statuses: ['queued'] }));
			expect((await log.pendingSends()).map((m) => m.sendId).sort()).toEqual(['s-2', 's-3']);
			await log.removePending('g-1');
			expect(await log.pendingSends()).toEqual([]);
		});

		it("saves several sends' progress at once, merged with what their records say, found by wamid and by batch", async () => {
			await log.record(sent({ wamid: 'w1', batch: 'b-9', statuses: ['queued'] }));
			await log.record(sent({ wamid: 'w2', batch: 'b-9', statuses: ['queued'] }));
			await log.record(sent({ wamid: 'w3', statuses: ['queued'] }));
			const [w1, w2] = await Promise.all(['w1', 'w2'].map(async (w) => (await log.findByWamid(w)) as SentMessage));
			const w3 = (await log.findByWamid('w3')) as SentMessage;
			await log.saveStatuses([
				{ ...w1, statuses: ['queued', 'sent', 'read'] },
				{ ...w2, statuses: ['queued', 'sent'] },
				{ ...w3, statuses: ['queued', 'delivered'] },
			]);
			expect((await log.findByWamid('w1'))?.statuses).toEqual(['queued', 'sent', 'read']);
			expect((await log.findByWamid('w3'))?.statuses).toEqual(['queued', 'delivered']);
			const batch = await log.findByBatch('b-9');
			expect(batch.map((m) => [m.wamid, m.statuses]).sort()).toEqual([
				['w1', ['queued', 'sent', 'read']],
				['w2', ['queued', 'sent']],
			]);
			// A later save and a single update add to it; nothing goes back.
			await log.saveStatuses([{ ...(batch.find((m) => m.wamid === 'w2') as SentMessage), statuses: ['queued', 'sent', 'failed'] }]);
			await log.update({ ...((await log.findByWamid('w1')) as SentMessage), statuses: ['queued', 'sent', 'read', 'deleted'] });
			expect((await log.findByWamid('w2'))?.statuses).toEqual(['queued', 'sent', 'failed']);
			expect((await log.findByBatch('b-9')).find((m) => m.wamid === 'w1')?.statuses).toEqual(['queued', 'sent', 'read', 'deleted']);
			// Retention removes a batch's progress with its sends.
			await log.removeDay(today);
			expect(await log.findByBatch('b-9')).toEqual([]);
		});

		it('resolves a pending send Meta refused into a failed record, and removes whole days of both', async () => {
			const pending = sent({ wamid: undefined, sendId: 's-3', pending: true, batch: 'b-3' });
			await log.record(pending);
			await log.resolve({ ...pending, statuses: ['failed'] });
			const [failed] = await log.findByBatch('b-3');
			expect(failed).toMatchObject({ sendId: 's-3', statuses: ['failed'] });
			expect(failed.pending).toBeFalsy();
			expect(failed.wamid).toBeFalsy();
			await log.record(sent({ wamid: undefined, sendId: 's-4', pending: true, batch: 'b-3' }));
			expect(await log.removeDay(today)).toBe(2);
			expect(await log.findByBatch('b-3')).toEqual([]);
		});

		it('routes a reply by the latest send that asked for it, found by the number sent to or by the wa_id Meta answered', async () => {
			await log.record(sent({ wamid: 'w1', targetAgent: 'alice', sentAt: `${today}T09:00:00.000Z` }));
			await log.record(sent({ wamid: 'w2', targetDepartment: 'sales', sentAt: `${today}T11:00:00.000Z` }));
			await log.record(sent({ wamid: 'w3', sentAt: `${today}T12:00:00.000Z` }));
			await log.record(sent({ wamid: 'w4', phoneNumberId: '222', targetAgent: 'bob', sentAt: `${today}T13:00:00.000Z` }));
			await log.record(
				sent({
					wamid: 'w5',
					mobileNo: '551188887777',
					waId: '5511988880000',
					targetAgent: 'carol',
					sentAt: `${today}T08:00:00.000Z`,
				}),
			);
			expect((await log.latestRouting('111', '5511988887777'))?.wamid).toBe('w2');
			expect((await log.latestRouting('111', '5511988880000'))?.wamid).toBe('w5');
			expect(await log.latestRouting('111', '5500000000000')).toBeUndefined();
		});

		it('links a WhatsApp message to its Rocket.Chat message or upload, each way', async () => {
			await log.link({ wamid: 'w1', rcMessageId: 'rc-1', roomId: 'room-1', at: `${today}T10:00:00.000Z` });
			await log.link({ wamid: 'w2', uploadId: 'up-2', roomId: 'room-1', at: `${today}T10:00:00.000Z` });
			expect(await log.linkOfWamid('w1')).toMatchObject({ rcMessageId: 'rc-1', roomId: 'room-1' });
			expect(await log.linkOfMessage('rc-1')).toMatchObject({ wamid: 'w1' });
			expect(await log.linkOfUpload('up-2')).toMatchObject({ wamid: 'w2' });
			expect(await log.linkOfMessage('rc-2')).toBeUndefined();
			expect(await log.linkOfUpload('up-1')).toBeUndefined();
		});

		it("remembers the contacts' messages already in a room, and the steps done", async () => {
			expect(await log.isSeen('w1')).toBe(false);
			await log.markSeen('w1');
			expect(await log.isSeen('w1')).toBe(true);
			expect(await log.hasMark('welcome', 'room-1')).toBe(false);
			await log.mark('welcome', 'room-1');
			expect(await log.hasMark('welcome', 'room-1')).toBe(true);
			expect(await log.hasMark('welcome', 'room-2')).toBe(false);
			await log.unmark('welcome', 'room-1');
			expect(await log.hasMark('welcome', 'room-1')).toBe(false);
		});

		it('removes one whole day, and only that day', async () => {
			await log.record(sent({ wamid: 'old', sentAt: '2020-01-01T10:00:00.000Z' }));
			await log.link({ wamid: 'old', rcMessageId: 'rc-old', roomId: 'room-1', at: '2020-01-01T10:00:00.000Z' });
			await log.record(sent({ wamid: 'new' }));
			await log.markSeen('in-1');
			await log.mark('media', 'in-1');
			expect(await log.removeDay('2020-01-01')).toBe(2);
			expect(await log.findByWamid('old')).toBeUndefined();
			expect(await log.linkOfMessage('rc-old')).toBeUndefined();
			expect(await log.findByWamid('new')).toBeDefined();
			expect(await log.removeDay(today)).toBe(3);
			expect(await log.isSeen('in-1')).toBe(false);
			expect(await log.hasMark('media', 'in-1')).toBe(false);
		});
	});
}
