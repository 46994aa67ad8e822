import { applyAction, Draft, fieldKey, ModalScreen, pickLanguage, templateValues } from '../../../../src/core/app/sendTemplateModal';
import { SendNotRecorded } from '../../../../src/core/errors';
import { formCannotFill, inputsFor } from '../../../../src/core/templates/inputs';
import { MetaTemplate } from '../../../../src/core/templates/template';
import { promo, trailer, verification } from '../templates/fixtures';
import { graphError, keys, NUMBER, OTHER_NUMBER, READY, READY_PT, templatesWorld } from './fakes-templates';

const agent = { id: 'u-ana', username: 'ana', roles: ['livechat-agent'] };
const intruder = { id: 'u-bob', username: 'bob', roles: ['livechat-agent'] };
const nothingSubmitted = { values: {}, fields: {}, languageOf: () => undefined };
const contact = { roomId: 'room-1', phoneNumberId: '1001', visitorLanguage: 'pt-BR' };

async function openIn(w: ReturnType<typeof templatesWorld>, where: { contact?: typeof contact; openedIn?: string } = {}) {
	const opened = await w.modal.open({ user: agent, ...where, workspaceLanguage: 'en', t: keys });
	if (!('screen' in opened)) throw new Error(`not opened: ${opened.notice}`);
	return opened.screen.draft.viewId;
}

/** The cache's shards rewritten since its index was read (a refresh that then failed), and Meta unable to list the templates again. */
async function staleAndUnlistable(w: ReturnType<typeof templatesWorld>): Promise<void> {
	const index = await w.templateCache.getIndex(NUMBER.wabaId);
	for (let shard = 0; shard < (index?.shards ?? 0); shard++) {
		const stored = await w.templateCache.getShard(NUMBER.wabaId, shard);
		if (stored) await w.templateCache.setShard(NUMBER.wabaId, shard, { ...stored, fetchedAt: stored.fetchedAt - 1 });
	}
	w.graph.listError = graphError(190);
}

describe('opening the modal', () => {
	it('says why it cannot open: no number, or the room number is gone', async () => {
		expect(await templatesWorld({ numbers: [] }).modal.open({ user: agent, t: keys })).toEqual({ notice: 'send_no_numbers' });
		expect(await templatesWorld({ numbers: [OTHER_NUMBER] }).modal.open({ user: agent, contact, t: keys })).toEqual({
			notice: 'send_room_number_gone',
		});
	});

	it("in a contact's room: the room's number, the contact's language preferred, a draft of the user", async () => {
		const w = templatesWorld({ numbers: [OTHER_NUMBER, NUMBER] });
		const opened = await w.modal.open({ user: agent, contact, workspaceLanguage: 'en', t: keys });
		expect(opened).toEqual({
			screen: expect.objectContaining({ templates: [expect.objectContaining({ name: 'order_ready' })], problem: undefined }),
		});
		expect([...w.drafts.drafts.values()]).toEqual([
			{
				viewId: 'view-1',
				userId: 'u-ana',
				roomId: 'room-1',
				askRecipient: false,
				phoneNumberId: '1001',
				values: {},
				preferredLanguage: 'pt-BR',
				drawnFields: [],
				numberSelect: false,
				// The day it opened, by the service's clock (UTC): its draft goes with that day (DRAFT_DAYS_KEPT).
				openedOn: '2026-03-01',
			},
		]);
	});

	it('a refused Graph base URL is said in words, without listing', async () => {
		const w = templatesWorld({ settings: { graphApiBaseUrl: 'http://example.com' } });
		const opened = await w.modal.open({ user: agent, t: keys });
		expect(opened).toEqual({ screen: expect.objectContaining({ templates: [], total: 0, problem: 'error_graph_base_url_refused' }) });
		expect(w.graph.listed).toBe(0);
	});
});

describe('changes in the modal', () => {
	it("picks the contact's language for the template, and keeps the agent's choice when coming back to it", async () => {
		const w = templatesWorld();
		const viewId = await openIn(w, { contact });
		const act = (action: Parameters<typeof w.modal.act>[0]['action']) => w.modal.act({ viewId, user: agent, action, t: keys });
		const picked = await act({ kind: 'template', value: 'order_ready' });
		// With the room a notice about the change goes to (the contact's room, where the modal was opened).
		expect(picked).toEqual({
			kind: 'screen',
			screen: expect.objectContaining({ template: expect.objectContaining({ language: 'pt_BR' }) }),
			openedIn: 'room-1',
		});
		await act({ kind: 'language', phoneNumberId: '1001', templateName: 'order_ready', value: 'en_US' });
		await act({ kind: 'template', value: undefined });
		const back = await act({ kind: 'template', value: 'order_ready' });
		expect(back).toEqual({
			kind: 'screen',
			screen: expect.objectContaining({ template: expect.objectContaining({ language: 'en_US' }) }),
			openedIn: 'room-1',
		});
		expect(w.drafts.drafts.get(viewId)?.language).toBe('en_US');
	});

	it('applies two actions that arrive together one after the other: neither change is lost (a parameter typed as the template is picked)', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		// The template's pick reads the list from Meta (slow); the parameter's action comes meanwhile.
		let answer!: () => void;
		const held = new Promise<void>((resolve) => (answer = resolve));
		const list = w.graph.listAllTemplates.bind(w.graph);
		w.graph.listAllTemplates = async <T>(wabaId?: string) => (await held, list<T>(wabaId));
		const act = (action: Parameters<typeof w.modal.act>[0]['action']) => w.modal.act({ viewId, user: agent, action, t: keys });
		const picked = act({ kind: 'refresh' }).then(() => act({ kind: 'template', value: 'order_ready' }));
		await new Promise((resolve) => setImmediate(resolve));
		const typed = act({ kind: 'param', inputId: 'body.1', value: 'Ana' });
		answer();
		await Promise.all([picked, typed]);
		expect(w.drafts.drafts.get(viewId)).toMatchObject({ templateName: 'order_ready', values: { 'body.1': 'Ana' } });
	});

	it("ignores another user's actions and refuses an agent whose role was taken away", async () => {
		const w = templatesWorld({ settings: { agentRoles: 'livechat-agent' } });
		const viewId = await openIn(w);
		expect(await w.modal.act({ viewId, user: intruder, action: { kind: 'recipient', value: '1' }, t: keys })).toEqual({
			kind: 'ignored',
		});
		expect(await w.modal.act({ viewId, user: { ...agent, roles: [] }, action: { kind: 'recipient', value: '1' }, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'command_not_allowed {"command":"/whatsapp send-template"}' },
		});
		expect(w.drafts.drafts.get(viewId)?.recipient).toBeUndefined();
	});

	it('says a change to a form whose draft is gone (past its retention) that the form expired, on the template', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		w.drafts.drafts.delete(viewId);
		expect(await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_expired' },
		});
		expect(w.drafts.drafts.size).toBe(0);
	});

	it('outside a contact room, a form whose chosen number was disconnected shows and sends from the number left', async () => {
		const numbers = [NUMBER, OTHER_NUMBER];
		const w = templatesWorld({ numbers });
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'number', value: OTHER_NUMBER.phoneNumberId }, t: keys });
		expect(w.drafts.drafts.get(viewId)).toMatchObject({ phoneNumberId: OTHER_NUMBER.phoneNumberId, numberSelect: true });
		numbers.splice(1, 1);
		const changed = await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys });
		expect(changed).toMatchObject({ kind: 'screen', screen: { numbers: [NUMBER] } });
		expect(w.drafts.drafts.get(viewId)).toMatchObject({ phoneNumberId: NUMBER.phoneNumberId, numberSelect: false });
		// Rocket.Chat's client keeps the select's value by its action id, drawn or not: it submits the gone number.
		const submitted = {
			values: { 'body.1': 'Ana', 'body.2': '42' },
			fields: { templateName: 'order_ready', recipient: '+55 11 98765-4321', phoneNumberId: OTHER_NUMBER.phoneNumberId },
			languageOf: () => 'en_US',
		};
		expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({ kind: 'sent' });
		expect(w.graph.sends.map((s) => s.phoneNumberId)).toEqual([NUMBER.phoneNumberId]);
	});

	it('says a disconnected number on the template when the form drew no number select (one number when it was drawn)', async () => {
		const numbers = [NUMBER];
		const w = templatesWorld({ numbers });
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys });
		// Meanwhile another number is connected and the form's number disconnected.
		numbers.splice(0, 1, OTHER_NUMBER, { ...OTHER_NUMBER, phoneNumberId: '1003' });
		const submitted = {
			values: { 'body.1': 'Ana', 'body.2': '42' },
			fields: { templateName: 'order_ready', recipient: '+55 11 98765-4321' },
			languageOf: () => 'en_US',
		};
		expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_error_number_gone' },
		});
		expect(w.graph.sends).toEqual([]);
	});

	it('refuses a change once every number was disconnected, and keeps the draft', async () => {
		const numbers = [NUMBER];
		const w = templatesWorld({ numbers });
		const viewId = await openIn(w, { openedIn: 'room-9' });
		numbers.length = 0;
		expect(await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_no_numbers' },
			openedIn: 'room-9',
		});
		expect(w.drafts.drafts.get(viewId)?.templateName).toBeUndefined();
	});

	it("says why when the chosen template's part of the cache is stale and Meta cannot list the templates again", async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		// Another refresh wrote the shards since the index was read, and then failed: the list is fetched from Meta again.
		await staleAndUnlistable(w);
		expect(await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys })).toEqual({
			kind: 'screen',
			screen: expect.objectContaining({ template: undefined, problem: 'graph_error_190 {"code":190}' }),
		});
	});

	it("changes the number only to a connected one, and never in a contact's room", () => {
		const draft: Draft = { viewId: 'v', userId: 'u', askRecipient: true, phoneNumberId: '1001', values: {} };
		applyAction(draft, { kind: 'number', value: '999' }, [NUMBER, OTHER_NUMBER]);
		expect(draft.phoneNumberId).toBe('1001');
		applyAction(draft, { kind: 'number', value: '1002' }, [NUMBER, OTHER_NUMBER]);
		expect(draft.phoneNumberId).toBe('1002');
		const inRoom: Draft = { ...draft, askRecipient: false, phoneNumberId: '1001' };
		applyAction(inRoom, { kind: 'number', value: '1002' }, [NUMBER, OTHER_NUMBER]);
		expect(inRoom.phoneNumberId).toBe('1001');
		applyAction(inRoom, { kind: 'param', inputId: 'body.1', value: undefined }, []);
		expect(inRoom.values).toEqual({ 'body.1': '' });
	});

	it('picks a language: exact, then by base language, then the first', () => {
		expect(pickLanguage(['en_US', 'pt_BR'], ['pt-BR'])).toBe('pt_BR');
		expect(pickLanguage(['en_US', 'pt_PT'], [undefined, 'pt'])).toBe('pt_PT');
		expect(pickLanguage(['en_US', 'pt_BR'], ['de'])).toBe('en_US');
	});
});

describe('searching thousands of templates', () => {
	/** 3,000 names in two languages each: 6,000 template/language pairs. */
	const many = Array.from({ length: 6000 }, (_, k) => ({
		...(k % 2 ? READY_PT : READY),
		name: `template_${String(Math.floor(k / 2)).padStart(4, '0')}`,
	}));
	const screenOf = (result: unknown) => (result as { screen: ModalScreen }).screen;
	const listed = (screen: ModalScreen) => screen.templates.map((s) => s.name);

	it('opens with the first 100 names of 3,000, and a search narrows them', async () => {
		const w = templatesWorld();
		w.graph.templates = many;
		const opened = await w.modal.open({ user: agent, contact, t: keys });
		const screen = screenOf(opened);
		expect(screen).toMatchObject({ total: 3000, matching: 3000, hidden: 2900 });
		expect(listed(screen)).toEqual(Array.from({ length: 100 }, (_, i) => `template_${String(i).padStart(4, '0')}`));
		const viewId = screen.draft.viewId;
		const searched = screenOf(await w.modal.act({ viewId, user: agent, action: { kind: 'search', value: '2024' }, t: keys }));
		expect(listed(searched)).toEqual(['template_2024']);
		expect(searched).toMatchObject({ matching: 1, hidden: 0, template: undefined });
		expect(w.drafts.drafts.get(viewId)?.search).toBe('2024');
		// The second interaction: the template is picked, in the contact's language, with its parameters.
		const picked = screenOf(await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'template_2024' }, t: keys }));
		expect(picked.template).toMatchObject({ name: 'template_2024', language: 'pt_BR' });
		expect(listed(picked)).toEqual(['template_2024']);
		// Another search keeps the chosen template offered (the client keeps showing it).
		const other = screenOf(await w.modal.act({ viewId, user: agent, action: { kind: 'search', value: '0999' }, t: keys }));
		expect(listed(other)).toEqual(['template_2024', 'template_0999']);
		expect(other.template).toMatchObject({ name: 'template_2024' });
		expect(w.graph.listed).toBe(1);
	});

	it('cuts a very long search', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'search', value: 'x'.repeat(100_000) }, t: keys });
		expect(w.drafts.drafts.get(viewId)?.search).toHaveLength(200);
	});
});

describe('submitting the modal', () => {
	const filled = {
		values: { 'body.1': 'Ana', 'body.2': '42' },
		fields: { templateName: 'order_ready', recipient: '+55 11 98765-4321' },
		languageOf: () => 'en_US',
	};

	it('sends what the client submitted over the draft, to the typed recipient, and removes the draft', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({ kind: 'sent' });
		expect(w.graph.sends).toEqual([
			{
				phoneNumberId: '1001',
				payload: expect.objectContaining({
					to: '5511987654321',
					template: expect.objectContaining({ name: 'order_ready', language: { code: 'en_US' } }),
				}),
			},
		]);
		expect(w.rooms.opened).toEqual([{ phoneNumberId: '1001', waId: '5511987654321', departmentId: undefined }]);
		expect(w.drafts.drafts.size).toBe(0);
	});

	it('says, with each outcome, the room the agent opened the modal from (a notice about a slow submit goes there)', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w, { openedIn: 'general' });
		expect(
			await w.modal.submit({ viewId, user: agent, submitted: { ...filled, fields: { templateName: 'order_ready' } }, t: keys }),
		).toEqual({
			kind: 'refused',
			errors: { recipient: 'send_error_recipient' },
			openedIn: 'general',
		});
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({ kind: 'sent', openedIn: 'general' });
		// A draft saved before it kept that room: its contact's room, or none.
		const old = templatesWorld();
		old.rooms.contacts.set('room-1', { phoneNumberId: '1001', waId: '5511912345678' });
		const inRoom = await openIn(old, { contact });
		const draft = (await old.drafts.load(inRoom))!;
		await old.drafts.save({ ...draft, openedIn: undefined });
		expect(await old.modal.submit({ viewId: inRoom, user: agent, submitted: filled, t: keys })).toMatchObject({
			kind: 'sent',
			openedIn: 'room-1',
		});
		expect(await old.modal.submit({ viewId: 'gone', user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_expired' },
		});
	});

	it("in a contact's room: to the contact, in the submitted language of that number and template", async () => {
		const w = templatesWorld();
		w.rooms.contacts.set('room-1', { phoneNumberId: '1001', waId: '5511912345678' });
		const viewId = await openIn(w, { contact });
		const submitted = { ...filled, languageOf: (n: string, t: string) => (n === '1001' && t === 'order_ready' ? 'pt_BR' : undefined) };
		expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({ kind: 'sent', openedIn: 'room-1' });
		expect(w.graph.sends[0].payload).toMatchObject({ to: '5511912345678', template: { language: { code: 'pt_BR' } } });
		expect(w.rooms.posts).toEqual([expect.objectContaining({ roomId: 'room-1', text: 'Olá Ana, seu pedido 42 está pronto.' })]);
		// Posted before the send is settled: the record names the room message its statuses show on.
		expect(w.recorded.map((r) => [r.message.roomId, r.message.rcMessageId, Boolean(r.message.wamid)])).toEqual([
			['room-1', 'msg-1', true],
		]);
		expect(w.links).toEqual([expect.objectContaining({ wamid: w.recorded[0].message.wamid, rcMessageId: 'msg-1', roomId: 'room-1' })]);
	});

	it('sends nothing to a contact who changed their number: the modal does not open in their room, and a submit after the change is refused', async () => {
		const w = templatesWorld();
		w.rooms.contacts.set('room-1', { phoneNumberId: '1001', waId: '5511912345678' });
		const viewId = await openIn(w, { contact });
		w.windows.set('whatsapp:1001:5511912345678', { at: 0, movedTo: { waId: '5511911112222', at: 1 } });
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_number_changed {"number":"5511911112222"}' },
			openedIn: 'room-1',
		});
		expect(await w.modal.open({ user: agent, contact, t: keys })).toEqual({ notice: 'send_number_changed {"number":"5511911112222"}' });
		expect(w.graph.sends).toEqual([]);
		// Outside a contact's room the typed number is the agent's to choose.
		const outside = await openIn(w, {});
		const typed = { ...filled, fields: { ...filled.fields, recipient: '+55 11 91234-5678' } };
		expect(await w.modal.submit({ viewId: outside, user: agent, submitted: typed, t: keys })).toMatchObject({ kind: 'sent' });
	});

	it("refuses another user's submit (logged), an expired modal, and another number in a contact's room", async () => {
		const w = templatesWorld({ numbers: [NUMBER, OTHER_NUMBER] });
		w.rooms.contacts.set('room-1', { phoneNumberId: '1001', waId: '5511912345678' });
		const viewId = await openIn(w, { contact });
		expect(await w.modal.submit({ viewId, user: intruder, submitted: filled, t: keys })).toEqual({ kind: 'foreign' });
		expect(w.warnings).toEqual(['send-template: bob submitted a modal another user opened; refused']);
		expect(await w.modal.submit({ viewId: 'gone', user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_expired' },
		});
		const otherNumber = { ...filled, fields: { ...filled.fields, phoneNumberId: '1002' } };
		expect(await w.modal.submit({ viewId, user: agent, submitted: otherNumber, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_error_room_number {"number":"Shop +1 555-010-0001"}' },
			openedIn: 'room-1',
		});
		expect(w.graph.sends).toEqual([]);
	});

	it("takes a text field submitted empty as cleared: no recipient (refused), no department (the number's own)", async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		const act = (action: Parameters<typeof w.modal.act>[0]['action']) => w.modal.act({ viewId, user: agent, action, t: keys });
		await act({ kind: 'recipient', value: '+55 11 98765-4321' });
		await act({ kind: 'department', value: 'nowhere' });
		// The agent cleared both; the actions that would have said so never came.
		const cleared = { ...filled, fields: { templateName: 'order_ready', recipient: '', department: '' } };
		expect(await w.modal.submit({ viewId, user: agent, submitted: cleared, t: keys })).toEqual({
			kind: 'refused',
			errors: { recipient: 'send_error_recipient' },
		});
		// The recipient typed again, the department left empty: sent without the department the draft had.
		const again = { ...filled, fields: { templateName: 'order_ready', recipient: '+55 11 98765-4321', department: '' } };
		expect(await w.modal.submit({ viewId, user: agent, submitted: again, t: keys })).toEqual({ kind: 'sent' });
		expect(w.rooms.opened).toEqual([{ phoneNumberId: '1001', waId: '5511987654321', departmentId: undefined }]);
	});

	it("removes the draft when its agent closes the modal; not another user's, not one being submitted", async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		await w.modal.close({ viewId, user: intruder });
		expect(w.drafts.drafts.has(viewId)).toBe(true);
		// Closed while its submit waits for Meta: the submit goes on, and removes it once sent.
		let answer!: () => void;
		const held = new Promise<void>((resolve) => (answer = resolve));
		const sendMessage = w.graph.sendMessage.bind(w.graph);
		w.graph.sendMessage = async (...args) => (await held, sendMessage(...args));
		const submitting = w.modal.submit({ viewId, user: agent, submitted: filled, t: keys });
		await new Promise((resolve) => setImmediate(resolve));
		await w.modal.close({ viewId, user: agent });
		expect(w.drafts.drafts.has(viewId)).toBe(true);
		answer();
		expect(await submitting).toEqual({ kind: 'sent' });
		expect(w.drafts.drafts.has(viewId)).toBe(false);
		const other = await openIn(w);
		await w.modal.close({ viewId: other, user: agent });
		expect(w.drafts.drafts.size).toBe(0);
	});

	it('refuses a carousel Meta lists without cards, saying where it can be sent; nothing goes to Meta', async () => {
		const w = templatesWorld();
		const cardless = {
			...READY,
			name: 'spring_cards',
			components: [{ type: 'BODY', text: 'New arrivals.' }, { type: 'CAROUSEL' }],
		} as MetaTemplate;
		w.graph.templates = [READY, cardless];
		// Its cards go through templateMessage.
		for (const [template, key] of [[cardless, 'send_template_unsupported']] as const) {
			expect(formCannotFill(template)).toBeDefined();
			const viewId = await openIn(w);
			const submitted = {
				values: {},
				fields: { templateName: template.name, recipient: '+55 11 98765-4321' },
				languageOf: () => 'en_US',
			};
			expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({
				kind: 'refused',
				errors: { template: key },
			});
		}
		expect(formCannotFill(READY)).toBeUndefined();
		expect(w.graph.sends).toEqual([]);
	});

	it('removes the draft of a modal closed while its submit waited for Meta, even when Meta refused the send', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		let answer!: () => void;
		const held = new Promise<void>((resolve) => (answer = resolve));
		w.graph.answer = () => new Error('socket hang up');
		const sendMessage = w.graph.sendMessage.bind(w.graph);
		w.graph.sendMessage = async (...args) => (await held, sendMessage(...args));
		const submitting = w.modal.submit({ viewId, user: agent, submitted: filled, t: keys });
		// A block action of the last keystrokes comes with the click: it runs after the submit.
		const typed = w.modal.act({ viewId, user: agent, action: { kind: 'param', inputId: 'body.1', value: 'Ana' }, t: keys });
		await new Promise((resolve) => setImmediate(resolve));
		await w.modal.close({ viewId, user: agent });
		answer();
		expect(await submitting).toEqual({ kind: 'refused', errors: { template: 'error_graph_unreachable' } });
		await typed;
		expect(w.drafts.drafts.has(viewId)).toBe(false);
	});

	it('names each field in error: recipient, department, template inputs', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys });
		const submitted = {
			values: { 'body.1': 'Ana' },
			fields: { templateName: 'order_ready', recipient: 'abc', department: 'nowhere' },
			languageOf: () => 'en_US',
		};
		const result = await w.modal.submit({ viewId, user: agent, submitted, t: keys });
		expect(result).toEqual({
			kind: 'refused',
			errors: {
				recipient: 'send_error_recipient',
				department: 'error_department_unknown {"department":"nowhere"}',
				'param:body.2': expect.any(String),
			},
		});
		// Without a template and its language, the error goes on the template.
		const fresh = await openIn(w);
		expect(await w.modal.submit({ viewId: fresh, user: agent, submitted: nothingSubmitted, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_error_template', recipient: 'send_error_recipient' },
		});
		expect(w.graph.sends).toEqual([]);
	});

	it('says why Meta could not list the templates when the cached list is due at the submit, and sends nothing', async () => {
		const w = templatesWorld();
		w.graph.listError = graphError(190);
		const viewId = await openIn(w);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'graph_error_190 {"code":190}' },
		});
		w.graph.listError = new Error('socket hang up');
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'error_graph_unreachable' },
		});
		expect(w.graph.sends).toEqual([]);
		expect(w.drafts.drafts.has(viewId)).toBe(true);
	});

	it('says the template could not be checked when the cache lacks it and Meta cannot list the templates again, and sends nothing', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		// Meta paused the template in that language after the modal showed it (its status webhook): the cache lacks it.
		await (await w.service.catalogOf(NUMBER)).remove(NUMBER.wabaId, 'order_ready', 'en_US');
		w.graph.listError = new Error('socket hang up');
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'api_error_template_list_unavailable {"name":"order_ready","language":"en_US"}' },
		});
		expect(w.graph.listed).toBe(2);
		expect(w.graph.sends).toEqual([]);
		expect(w.drafts.drafts.get(viewId)?.sending).toBeUndefined();
	});

	it('a refused send keeps the modal open with the reason on the template; corrected, it is sent', async () => {
		const w = templatesWorld();
		const accept = w.graph.answer;
		w.graph.answer = () => new Error('socket hang up');
		const viewId = await openIn(w);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'error_graph_unreachable' },
		});
		expect(w.drafts.drafts.get(viewId)?.sending).toBeUndefined();
		w.graph.answer = accept;
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({ kind: 'sent' });
		expect(w.graph.sends).toHaveLength(2);
	});

	it('says a send whose record could not be written was not sent, on the template, and sends it once the storage answers', async () => {
		let storageDown = true;
		const w = templatesWorld({
			sendLog: {
				record: async () => undefined,
				begin: async (message) => {
					if (storageDown) throw new SendNotRecorded(new Error('MongoNetworkError'));
					return { ...message, sendId: 'send-1', pending: true };
				},
				beginMany: async () => [],
				settle: async () => undefined,
			},
		});
		const viewId = await openIn(w);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'error_send_not_recorded' },
		});
		expect(w.graph.sends).toEqual([]);
		expect(w.drafts.drafts.get(viewId)?.sending).toBeUndefined();
		storageDown = false;
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({ kind: 'sent' });
		expect(w.graph.sends).toHaveLength(1);
	});

	it('says to open the form again when neither the record nor the draft can be written (its sending mark stays)', async () => {
		const w = templatesWorld({
			sendLog: {
				record: async () => undefined,
				begin: async () => {
					throw new SendNotRecorded(new Error('MongoNetworkError'));
				},
				beginMany: async () => [],
				settle: async () => undefined,
			},
		});
		const viewId = await openIn(w);
		const save = w.drafts.save.bind(w.drafts);
		w.drafts.save = async (draft) => {
			if (!draft.sending) throw new Error('MongoNetworkError');
			return save(draft);
		};
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'error_send_not_recorded send_expired' },
		});
		expect(w.errors).toEqual(['send-template: draft not restored after a send that did not go out: MongoNetworkError']);
		expect(w.graph.sends).toEqual([]);
	});

	it("tells Meta's refusal, and to open the form again when its draft cannot lose its sending mark", async () => {
		const w = templatesWorld();
		w.graph.answer = () => graphError(132015);
		const viewId = await openIn(w);
		const save = w.drafts.save.bind(w.drafts);
		w.drafts.save = async (draft) => {
			if (!draft.sending) throw new Error('MongoNetworkError');
			return save(draft);
		};
		const refused = await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys });
		expect(refused).toEqual({ kind: 'refused', errors: { template: expect.stringMatching(/132015.* send_expired$/) } });
		expect(w.errors).toEqual(['send-template: draft not restored after a send that did not go out: MongoNetworkError']);
	});

	it('sends once for two submits of one modal at the same time (a double click on Send): the second is told', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		const both = await Promise.all([
			w.modal.submit({ viewId, user: agent, submitted: filled, t: keys }),
			w.modal.submit({ viewId, user: agent, submitted: filled, t: keys }),
		]);
		expect(both).toEqual([{ kind: 'sent' }, { kind: 'refused', errors: { template: 'send_in_progress' } }]);
		expect(w.graph.sends).toHaveLength(1);
		expect(w.rooms.posts).toHaveLength(1);
	});

	it('sends nothing for a later submit of a modal whose template went out but was not shown in the room (the draft kept)', async () => {
		const w = templatesWorld();
		w.rooms.post = async () => {
			throw new Error('the room is gone');
		};
		const viewId = await openIn(w);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({ kind: 'sent' });
		expect(w.drafts.drafts.get(viewId)?.sending).toBe(true);
		// Another server of a cluster gets the second click: it reads the mark.
		expect(await w.modal.submit({ viewId, user: agent, submitted: filled, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_in_progress' },
		});
		expect(w.graph.sends).toHaveLength(1);
	});
});

describe('which values follow the agent to another template (fieldKey)', () => {
	const PROMO = promo;
	const PROMO_PT: MetaTemplate = { ...PROMO, language: 'pt_BR' };
	const TRAILER = trailer;
	/** Location header and a text header variable. */
	const VISIT: MetaTemplate = {
		...PROMO,
		name: 'visit',
		components: [
			{ type: 'HEADER', format: 'LOCATION' },
			{ type: 'BODY', text: 'See you at {{1}}.' },
		],
	};
	const HEADLINE: MetaTemplate = {
		...PROMO,
		name: 'headline',
		components: [{ type: 'HEADER', format: 'TEXT', text: 'News from {{1}}' }],
	};

	const keyOf = (template: MetaTemplate, id: string, number = '1001') =>
		fieldKey(
			number,
			template,
			inputsFor(template).find((i) => i.id === id)!,
		);

	it('keeps text variables by id; keys every other input by number, template and (for media) header format', () => {
		expect(keyOf(PROMO, 'body.1')).toBe('body.1');
		expect(keyOf(HEADLINE, 'header.1')).toBe('header.1');
		expect(keyOf(PROMO, 'header.link')).toBe('1001/promo/header.link.image');
		expect(keyOf(TRAILER, 'header.link')).toBe('1001/trailer/header.link.video');
		expect(keyOf(PROMO, 'button.0.url')).toBe('1001/promo/button.0.url');
		expect(keyOf(PROMO, 'button.0.url', '1002')).toBe('1002/promo/button.0.url');
		expect(keyOf(VISIT, 'header.name')).toBe('1001/visit/header.name');
		// The same template in another language: the same keys.
		expect(inputsFor(PROMO_PT).map((i) => fieldKey('1001', PROMO_PT, i))).toEqual(
			inputsFor(PROMO).map((i) => fieldKey('1001', PROMO, i)),
		);
	});

	it('switching template carries body text only: no image link into a video header, no button suffix into another button, no place name into a text variable', async () => {
		const w = templatesWorld();
		w.graph.templates = [PROMO, PROMO_PT, TRAILER, VISIT, HEADLINE];
		const viewId = await openIn(w);
		const act = (action: Parameters<typeof w.modal.act>[0]['action']) => w.modal.act({ viewId, user: agent, action, t: keys });
		const screenOf = async (action: Parameters<typeof w.modal.act>[0]['action']) =>
			((await act(action)) as { screen: ModalScreen }).screen;
		await act({ kind: 'template', value: 'promo' });
		await act({ kind: 'param', inputId: keyOf(PROMO, 'header.link'), value: 'https://cdn.example.com/p.jpg' });
		await act({ kind: 'param', inputId: keyOf(PROMO, 'body.1'), value: 'Ana' });
		await act({ kind: 'param', inputId: keyOf(PROMO, 'button.0.url'), value: 'spring' });

		const trailer = await screenOf({ kind: 'template', value: 'trailer' });
		expect(templateValues(trailer.draft, trailer.template!)).toEqual({ 'body.1': 'Ana' });
		expect(trailer.draft.drawnFields).toEqual(['1001/trailer/header.link.video', 'body.1', '1001/trailer/button.0.url']);

		await act({ kind: 'param', inputId: 'header.name', value: 'never typed here' });
		await act({ kind: 'param', inputId: keyOf(VISIT, 'header.name'), value: 'Philz Coffee' });
		const headline = await screenOf({ kind: 'template', value: 'headline' });
		expect(templateValues(headline.draft, headline.template!)).toEqual({});

		// Back on promo: its own values are still there, and its other language takes them too.
		const back = await screenOf({ kind: 'template', value: 'promo' });
		const promoValues = { 'header.link': 'https://cdn.example.com/p.jpg', 'body.1': 'Ana', 'button.0.url': 'spring' };
		expect(templateValues(back.draft, back.template!)).toEqual(promoValues);
		const pt = await screenOf({ kind: 'language', phoneNumberId: '1001', templateName: 'promo', value: 'pt_BR' });
		expect(pt.template).toMatchObject({ language: 'pt_BR' });
		expect(templateValues(pt.draft, pt.template!)).toEqual(promoValues);
	});

	it("never fills an authentication template's code with a text typed for another template", async () => {
		const w = templatesWorld();
		w.graph.templates = [PROMO, verification];
		const viewId = await openIn(w);
		const act = (action: Parameters<typeof w.modal.act>[0]['action']) => w.modal.act({ viewId, user: agent, action, t: keys });
		await act({ kind: 'template', value: 'promo' });
		await act({ kind: 'param', inputId: keyOf(PROMO, 'body.1'), value: 'Ana' });
		const code = ((await act({ kind: 'template', value: 'verification_code' })) as { screen: ModalScreen }).screen;
		expect(templateValues(code.draft, code.template!)).toEqual({});
		const submitted = { values: {}, fields: { templateName: 'verification_code' }, languageOf: () => 'en_US' };
		const refused = await w.modal.submit({ viewId, user: agent, submitted, t: keys });
		expect(refused).toMatchObject({
			kind: 'refused',
			errors: { [`param:${keyOf(verification, 'body.1')}`]: 'template_error_required' },
		});
		expect(w.graph.sends).toEqual([]);
	});

	it('sends the values of the submitted template only, under its input ids', async () => {
		const w = templatesWorld();
		w.graph.templates = [PROMO, TRAILER];
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'trailer' }, t: keys });
		const submitted = {
			// The client's state keeps promo's elements typed before: they do not fill trailer's.
			values: {
				[keyOf(PROMO, 'header.link')]: 'https://cdn.example.com/p.jpg',
				[keyOf(PROMO, 'button.0.url')]: 'spring',
				'body.1': 'Ana',
				[keyOf(TRAILER, 'header.link')]: 'https://cdn.example.com/t.mp4',
				[keyOf(TRAILER, 'button.0.url')]: 'ep1',
			},
			fields: { templateName: 'trailer', recipient: '+55 11 98765-4321' },
			languageOf: () => 'en_US',
		};
		expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({ kind: 'sent' });
		expect((w.graph.sends[0].payload as { template: { components: unknown[] } }).template.components).toEqual([
			{ type: 'header', parameters: [{ type: 'video', video: { link: 'https://cdn.example.com/t.mp4' } }] },
			{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
			{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'ep1' }] },
		]);
	});

	it('a value typed for another template is not taken for this one: the field is missing', async () => {
		const w = templatesWorld();
		w.graph.templates = [PROMO, TRAILER];
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'trailer' }, t: keys });
		const submitted = {
			values: {
				[keyOf(PROMO, 'header.link')]: 'https://cdn.example.com/p.jpg',
				'body.1': 'Ana',
				[keyOf(TRAILER, 'button.0.url')]: 'ep1',
			},
			fields: { templateName: 'trailer', recipient: '+55 11 98765-4321' },
			languageOf: () => 'en_US',
		};
		expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({
			kind: 'refused',
			errors: { 'param:1001/trailer/header.link.video': 'template_error_required' },
		});
		expect(w.graph.sends).toEqual([]);
	});
});

describe('errors go on fields the view drew', () => {
	const filledMissing = {
		values: { 'body.1': 'Ana' },
		fields: { templateName: 'order_ready', recipient: '+55 11 98765-4321' },
		languageOf: () => 'en_US',
	};

	it("when the chosen template could not be read, a submit's errors go on the template select, not on its undrawn inputs", async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		// The chosen template's part of the cache is stale and Meta cannot list the templates: no inputs drawn.
		await staleAndUnlistable(w);
		const shown = await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys });
		expect(shown).toEqual({
			kind: 'screen',
			screen: expect.objectContaining({ template: undefined, problem: 'graph_error_190 {"code":190}' }),
		});
		expect(w.drafts.drafts.get(viewId)?.drawnFields).toEqual([]);
		// Meta answers again by the submit: the template is read, but its inputs were never shown.
		w.graph.listError = undefined;
		const refused = await w.modal.submit({ viewId, user: agent, submitted: filledMissing, t: keys });
		expect(refused).toEqual({ kind: 'refused', errors: { template: 'send_error_fields_not_shown' } });
		expect(Object.keys((refused as { errors: object }).errors).filter((k) => k.startsWith('param:'))).toEqual([]);
		// Drawn again, the missing input gets its own error.
		await w.modal.act({ viewId, user: agent, action: { kind: 'refresh' }, t: keys });
		expect(w.drafts.drafts.get(viewId)?.drawnFields).toEqual(['body.1', 'body.2']);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filledMissing, t: keys })).toEqual({
			kind: 'refused',
			errors: { 'param:body.2': 'template_error_required' },
		});
		expect(w.graph.sends).toEqual([]);
	});

	it('a draft of the versions before (no drawnFields, values by input id): its errors go on its inputs as drawn then', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		await w.modal.act({ viewId, user: agent, action: { kind: 'template', value: 'order_ready' }, t: keys });
		const draft = w.drafts.drafts.get(viewId)!;
		delete draft.drawnFields;
		draft.values = { 'body.1': 'Ana' };
		const submitted = { values: {}, fields: filledMissing.fields, languageOf: filledMissing.languageOf };
		expect(await w.modal.submit({ viewId, user: agent, submitted, t: keys })).toEqual({
			kind: 'refused',
			errors: { 'param:body.2': 'template_error_required' },
		});
	});

	it('a submitted template the draft never showed: its errors go on the template select', async () => {
		const w = templatesWorld();
		const viewId = await openIn(w);
		expect(await w.modal.submit({ viewId, user: agent, submitted: filledMissing, t: keys })).toEqual({
			kind: 'refused',
			errors: { template: 'send_error_fields_not_shown' },
		});
	});
});
