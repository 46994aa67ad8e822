import { InboundMessageEvent, StatusEvent, TemplateStatusEvent, WebhookEvent } from '../../../../src/core/status/webhook';
import { signPayload } from '../../../../src/core/webhook/signature';
import {
	describeForeign,
	inScope,
	mayReportOn,
	partitionByScope,
	verifyForNumbers,
	WebhookScope,
} from '../../../../src/core/webhook/tenancy';

const A = { phoneNumberId: '111', wabaId: 'waba-1', appSecret: 'secret-a' };
const A2 = { phoneNumberId: '112', wabaId: 'waba-12', appSecret: 'secret-a' };
const B = { phoneNumberId: '222', wabaId: 'waba-2', appSecret: 'secret-b' };
const BODY = '{"object":"whatsapp_business_account"}';

const message = (phoneNumberId: string): InboundMessageEvent => ({
	kind: 'message',
	phoneNumberId,
	displayPhoneNumber: '',
	wamid: 'wamid.1',
	from: '1',
	waId: '1',
	type: 'text',
	timestamp: '1',
	raw: {},
});
const status = (phoneNumberId: string): StatusEvent => ({
	kind: 'status',
	phoneNumberId,
	displayPhoneNumber: '',
	wamid: 'wamid.2',
	status: 'read',
	timestamp: '1',
	recipientId: '1',
});
const template = (wabaId: string): TemplateStatusEvent => ({ kind: 'template-status', wabaId, event: 'PAUSED', templateName: 'offer' });

describe('verifyForNumbers', () => {
	it('vouches for the numbers and accounts of the secret that signed, and no other', () => {
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-b'), [A, B])).toEqual({
			ok: true,
			scope: { phoneNumberIds: ['222'], wabaIds: ['waba-2'] },
		});
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-a'), [A, B])).toEqual({
			ok: true,
			scope: { phoneNumberIds: ['111'], wabaIds: ['waba-1'] },
		});
	});

	it('vouches for every number of one Meta app (one secret)', () => {
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-a'), [A, B, A2])).toEqual({
			ok: true,
			scope: { phoneNumberIds: ['111', '112'], wabaIds: ['waba-1', 'waba-12'] },
		});
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-a'), [A, { ...A2, wabaId: 'waba-1' }])).toEqual({
			ok: true,
			scope: { phoneNumberIds: ['111', '112'], wabaIds: ['waba-1'] },
		});
	});

	it('says why it refuses', () => {
		expect(verifyForNumbers(BODY, undefined, [A])).toEqual({ ok: false, reason: 'missing-header' });
		expect(verifyForNumbers(BODY, 'sha256=zz', [A])).toEqual({ ok: false, reason: 'malformed-header' });
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-a'), [])).toEqual({ ok: false, reason: 'no-secret-configured' });
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-c'), [A, B])).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('never lets a number without a secret be vouched for by an empty key', () => {
		const noSecret = { phoneNumberId: '333', wabaId: 'waba-3', appSecret: '' };
		expect(verifyForNumbers(BODY, signPayload(BODY, ''), [A, noSecret])).toEqual({ ok: false, reason: 'mismatch' });
		expect(verifyForNumbers(BODY, signPayload(BODY, 'secret-a'), [A, noSecret])).toEqual({
			ok: true,
			scope: { phoneNumberIds: ['111'], wabaIds: ['waba-1'] },
		});
	});
});

describe('inScope and partitionByScope', () => {
	const scope: WebhookScope = { phoneNumberIds: ['111'], wabaIds: ['waba-1'] };

	it.each<[string, WebhookEvent, boolean]>([
		['a message to the number', message('111'), true],
		['a message to another number', message('222'), false],
		['a message without a number', message(''), false],
		['a status of the number', status('111'), true],
		['a status of another number', status('222'), false],
		['a template event of the account', template('waba-1'), true],
		['a template event of another account', template('waba-2'), false],
		['a template event without an account', template(''), false],
		['a value error of another number', { kind: 'value-error', phoneNumberId: '222', displayPhoneNumber: '', error: {} }, false],
	])('%s: %p', (_name, event, expected) => {
		expect(inScope(scope, event)).toBe(expected);
	});

	it('an account id does not stand for a number, nor a number id for an account', () => {
		expect(inScope({ phoneNumberIds: ['waba-1'], wabaIds: ['111'] }, message('111'))).toBe(false);
		expect(inScope({ phoneNumberIds: ['waba-1'], wabaIds: ['111'] }, template('waba-1'))).toBe(false);
	});

	it('keeps the order of each part', () => {
		const events = [message('111'), status('222'), template('waba-1'), message('222')];
		expect(partitionByScope(scope, events)).toEqual({ allowed: [events[0], events[2]], foreign: [events[1], events[3]] });
	});
});

describe('mayReportOn', () => {
	const scope: WebhookScope = { phoneNumberIds: ['111', '112'], wabaIds: ['waba-1'] };

	it('needs the message to have been sent from the very number the status names, in the scope', () => {
		expect(mayReportOn(scope, '111', '111')).toBe(true);
		expect(mayReportOn(scope, '111', '112')).toBe(false);
		expect(mayReportOn(scope, '111', '222')).toBe(false);
		expect(mayReportOn(scope, '222', '222')).toBe(false);
		expect(mayReportOn(scope, '', '')).toBe(false);
	});

	it('without a stored scope (a webhook stored before scopes), still needs the sending number', () => {
		expect(mayReportOn(undefined, '111', '111')).toBe(true);
		expect(mayReportOn(undefined, '111', '222')).toBe(false);
	});
});

describe('describeForeign', () => {
	it('counts by kind and names the ids, never more than five, shortened', () => {
		const text = (events: Parameters<typeof describeForeign>[0]) =>
			describeForeign(events)
				.map((line) => line.text)
				.join('\n');
		expect(describeForeign([message('222'), message('222'), status('222'), template('waba-2')])).toEqual([
			{
				cause: 'foreign-events',
				text: '2 message, 1 status, 1 template-status event(s) for number 222, WABA waba-2, not connected in the app with the app secret that signed the webhook, dropped',
			},
		]);
		const many = ['1', '2', '3', '4', '5', '6', '7'].map((id) => message(id));
		expect(text(many)).toContain('number 1, number 2, number 3, number 4, number 5, and 2 more,');
		expect(text([message('9'.repeat(5000))])).toContain(`number ${'9'.repeat(32)}…,`);
		expect(text([message('')])).toContain('for number (none),');
	});

	it('tells apart the events of a number connected with another secret (the one to edit) from those of a number not connected', () => {
		const connected = { phoneNumberIds: ['222'], wabaIds: ['waba-2'] };
		expect(
			describeForeign([message('222'), message('333'), template('waba-2')], connected, { phoneNumberIds: ['111'], wabaIds: [] }),
		).toEqual([
			{
				cause: 'miskeyed-events',
				text: '1 message, 1 template-status event(s) for number 222, WABA waba-2, connected in the app with another app secret than the one that signed the webhook (the secret of number 111), dropped (a Meta app signs every webhook of its numbers with its secret: if the number is of the same Meta app as those, the app secret stored for it is wrong, edit it in /whatsapp numbers; if not, another Meta app sends its events, and its secret must stay as it is)',
			},
			{
				cause: 'foreign-events',
				text: '1 message event(s) for number 333, not connected in the app with the app secret that signed the webhook, dropped',
			},
		]);
	});
});
