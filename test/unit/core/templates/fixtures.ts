/**
 * Templates for the template-model tests: Meta's own listings from shared/contracts, and the
 * definitions behind Meta's documented sends (the docs show the send, not the template, so these
 * are built from the text of the same doc pages).
 */
import * as fs from 'fs';
import * as path from 'path';

import { MetaTemplate } from '../../../../src/core/templates/template';
import { CONTRACTS_DIR, validateRequest } from '../../../support/metaSpec';

/* eslint-disable @typescript-eslint/no-explicit-any */
export const readContract = (file: string): any => JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8'));

const defaultFields = readContract('meta-docs/templates-list-default-fields.response.json').data as MetaTemplate[];
/** NAMED body, IMAGE header, static URL, phone and quick-reply buttons. */
export const reservation = defaultFields.find((t) => t.name === 'reservation_confirmation') as MetaTemplate;
/** POSITIONAL text header and body, static URL and quick-reply buttons. */
export const coupon = defaultFields.find((t) => t.name === 'coupon_expiration_reminder_number_vars') as MetaTemplate;
/** LOCATION header, positional body, quick reply (Graph API reference sample). */
export const orderDelivery = readContract('meta-docs/templates-list-graph-reference-v16.response.json').data[0] as MetaTemplate;
/** The spec's template-by-id example: text header without variables, positional body, quick reply. */
export const fallSale = readContract('meta-openapi/template-by-id-response.example.json') as MetaTemplate;

/** Template fundamentals page: `order_confirmation`, named and positional. */
export const orderNamed: MetaTemplate = {
	name: 'order_confirmation',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	parameter_format: 'NAMED',
	components: [
		{
			type: 'BODY',
			text: 'Thank you, {{first_name}}! Your order number is {{order_number}}.',
			example: {
				body_text_named_params: [
					{ param_name: 'first_name', example: 'Pablo' },
					{ param_name: 'order_number', example: '860198-230332' },
				],
			},
		},
	],
};
export const orderPositional: MetaTemplate = {
	...orderNamed,
	parameter_format: 'POSITIONAL',
	components: [
		{ type: 'BODY', text: 'Thank you, {{1}}! Your order number is {{2}}.', example: { body_text: [['Pablo', '860198-230332']] } },
	],
};

/** Copy-code authentication template (body fixed by Meta, OTP button). */
export const verification: MetaTemplate = {
	name: 'verification_code',
	language: 'en_US',
	status: 'APPROVED',
	category: 'AUTHENTICATION',
	components: [
		{ type: 'BODY', text: '*{{1}}* is your verification code. For your security, do not share this code.' },
		{ type: 'FOOTER', text: 'This code expires in 10 minutes.' },
		{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
	],
};

/**
 * The same template as Meta's template list returns it (GET /{WABA-ID}/message_templates): Meta's
 * copy-code authentication page says the button created as `OTP` "upon creation ... will be set to
 * `URL`" (shared/contracts README, meta-docs/send-template-authentication-otp.request.json's page).
 * The link, example and body example are those of a listed authentication template captured from
 * the Graph API (code index file 20682792525, a Django project's sync fixture; repository not
 * resolvable): `https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&...&code=otp{{1}}`.
 */
export const verificationListed: MetaTemplate = {
	name: 'verification_code',
	language: 'en_US',
	status: 'APPROVED',
	category: 'AUTHENTICATION',
	parameter_format: 'POSITIONAL',
	components: [
		{
			type: 'BODY',
			text: '*{{1}}* is your verification code. For your security, do not share this code.',
			example: { body_text: [['123456']] },
		},
		{ type: 'FOOTER', text: 'This code expires in 10 minutes.' },
		{
			type: 'BUTTONS',
			buttons: [
				{
					type: 'URL',
					text: 'Copy code',
					url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp{{1}}',
					example: ['https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp123456'],
				},
			],
		},
	],
};

/**
 * Catalog templates page: `intro_catalog_offer`, the template behind the spec's "Send Catalog
 * Template Message" (meta-openapi/send-template-request.examples.json).
 */
export const catalogOffer: MetaTemplate = {
	name: 'intro_catalog_offer',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{
			type: 'BODY',
			text: 'Now shop for your favorite products right here on WhatsApp! Get Rs {{1}} off on all orders above {{2}}Rs! Valid for your first {{3}} orders placed on WhatsApp!',
			example: { body_text: [['100', '400', '3']] },
		},
		{ type: 'FOOTER', text: 'Best grocery deals on WhatsApp!' },
		{ type: 'BUTTONS', buttons: [{ type: 'CATALOG', text: 'View catalog' }] },
	],
};

/** Limited-time-offer page: image header, offer with expiration, copy-code and URL buttons. */
export const lto: MetaTemplate = {
	name: 'limited_time_offer_caribbean_pkg_2023',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARY...'] } },
		{ type: 'LIMITED_TIME_OFFER', limited_time_offer: { text: 'Expiring offer!', has_expiration: true } },
		{
			type: 'BODY',
			text: 'Good news, {{1}}! Use code {{2}} to get 25% off all Caribbean Destination packages!',
			example: { body_text: [['Pablo', 'CARIBE25']] },
		},
		{
			type: 'BUTTONS',
			buttons: [
				{ type: 'COPY_CODE', example: 'CARIBE25' },
				{
					type: 'URL',
					text: 'Book now!',
					url: 'https://awesomedestinations.com/offers?code={{1}}',
					example: ['https://awesomedestinations.com/offers?code=n3mtql'],
				},
			],
		},
	],
};

/** Image header, body {{1}}, URL button with a suffix (which values follow the agent to another template). */
export const promo: MetaTemplate = {
	name: 'promo',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{ type: 'HEADER', format: 'IMAGE' },
		{ type: 'BODY', text: 'Hi {{1}}, see our deals.' },
		{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Deals', url: 'https://shop.example.com/d/{{1}}' }] },
	],
};

/** `promo` with a video header and another URL button. */
export const trailer: MetaTemplate = {
	...promo,
	name: 'trailer',
	components: [
		{ type: 'HEADER', format: 'VIDEO' },
		{ type: 'BODY', text: 'Watch this, {{1}}.' },
		{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Watch', url: 'https://tv.example.com/{{1}}' }] },
	],
};

export const invoice: MetaTemplate = {
	name: 'invoice',
	language: 'pt_BR',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [
		{ type: 'HEADER', format: 'DOCUMENT' },
		{ type: 'BODY', text: 'Segue sua fatura {{1}}.' },
		{ type: 'FOOTER', text: 'Loja' },
	],
};

export const survey: MetaTemplate = {
	name: 'survey',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{ type: 'BODY', text: 'Tell us how we did, {{1}}.' },
		{ type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'Start survey', flow_id: '123' }] },
	],
};

export { CAROUSEL as carousel } from '../../../support/carousel';

const SEND = {
	method: 'POST',
	path: '/v23.0/106540352242922/messages',
	headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
};

/**
 * Defects of Meta's spec (shared/contracts/README.md "Known defects") that a correct send may run
 * into if the spec is used as published: the app follows Meta's documented sends, not these.
 * test/support/metaSpec.ts patches them today, so normally none shows up.
 */
const KNOWN_SPEC_DEFECTS: RegExp[] = [
	// `index` typed string with the pattern `^[2-6, 11-14]$` (Meta's examples send "0" and 0).
	/\/components\/\d+\/index must (match pattern|be string)/,
	// `sub_type` enum without copy_code and flow; component `type` enum without limited_time_offer.
	/\/components\/\d+\/(sub_type|type) must be equal to one of the allowed values/,
	// parameter `type` enums without location (headers), coupon_code and action (buttons), limited_time_offer.
	/\/components\/\d+\/parameters\/\d+\/type must be equal to one of the allowed values/,
	// LanguageObject marks `policy` required; Meta's examples omit it.
	/\/template\/language must have required property 'policy'/,
	// Ajv's summary lines of a failed branch, which come with one of the errors above.
	/must match "then" schema|must match a schema in anyOf/,
];

export const isKnownSpecDefect = (error: string): boolean => KNOWN_SPEC_DEFECTS.some((re) => re.test(error));

/** Spec errors of a send body that are not known defects of the spec (expected: none). */
export function specErrors(body: unknown): string[] {
	return validateRequest({ ...SEND, body }).errors.filter((e) => !isKnownSpecDefect(e));
}

/** Every spec error of a send body, known defects included. */
export const allSpecErrors = (body: unknown): string[] => validateRequest({ ...SEND, body }).errors;
