/**
 * A media card carousel template and a send of it, and a product card carousel, shared by the template-model tests and the
 * end-to-end ones: Meta's "Media card carousel templates" page's example, and its "Sending Media
 * Card Carousel Templates" page's send syntax.
 */
import { MetaTemplate } from '../../src/core/templates/template';

/**
 * A media card carousel, as Meta's "Media card carousel templates" page creates one (its example
 * `summer_carousel_promo_2023`): the message body, then cards of an image, a body and two buttons
 * (a quick reply and a URL with a suffix); here two cards, the second with a video.
 */
const card = (format: 'IMAGE' | 'VIDEO', text: string, promo: string) => ({
	components: [
		{ type: 'HEADER', format, example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb...'] } },
		{ type: 'BODY', text, example: { body_text: [['15OFF', '15%']] } },
		{
			type: 'BUTTONS',
			buttons: [
				{ type: 'QUICK_REPLY', text: 'Send more like this' },
				{
					type: 'URL',
					text: 'Buy now',
					url: 'https://www.luckyshrub.com/shop?promo={{1}}',
					example: [`https://www.luckyshrub.com/shop?promo=${promo}`],
				},
			],
		},
	],
});
export const CAROUSEL: MetaTemplate = {
	id: '77',
	name: 'summer_carousel_promo_2023',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{
			type: 'BODY',
			text: "Summer is here, and we've got the freshest produce around! Use code {{1}} to get {{2}} off your next order.",
			example: { body_text: [['15OFF', '15%']] },
		},
		{
			type: 'CAROUSEL',
			cards: [
				card('IMAGE', 'Rare lemons for unique cocktails. Use code {{1}} to get {{2}} off all produce.', 'summer_lemons_2023'),
				card(
					'VIDEO',
					'Exotic fruit for unique cocktails! Use code {{1}} to get {{2}} off all exotic produce.',
					'exotic_produce_2023',
				),
			],
		},
	],
};

/** Values for every input of CAROUSEL (the modal's ids), but the first card's quick-reply payload (its button's text goes). */
export const CAROUSEL_VALUES = {
	'body.1': '15OFF',
	'body.2': '15%',
	'card.0.header.link': 'https://example.com/lemons.jpg',
	'card.0.body.1': 'LEMON15',
	'card.0.body.2': '15%',
	'card.0.button.1.url': 'summer_lemons_2023',
	'card.1.header.link': 'https://example.com/exotic.mp4',
	'card.1.body.1': 'EXOTIC20',
	'card.1.body.2': '20%',
	'card.1.button.0.payload': 'more-exotic',
	'card.1.button.1.url': 'exotic_produce_2023',
};

const text = (t: string) => ({ type: 'text', text: t });

/** The components CAROUSEL_VALUES make, as the sending page writes them: the body, then every card by its index. */
export const CAROUSEL_COMPONENTS = [
	{ type: 'body', parameters: [text('15OFF'), text('15%')] },
	{
		type: 'carousel',
		cards: [
			{
				card_index: 0,
				components: [
					{ type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/lemons.jpg' } }] },
					{ type: 'body', parameters: [text('LEMON15'), text('15%')] },
					{
						type: 'button',
						sub_type: 'quick_reply',
						index: '0',
						parameters: [{ type: 'payload', payload: 'Send more like this' }],
					},
					{ type: 'button', sub_type: 'url', index: '1', parameters: [text('summer_lemons_2023')] },
				],
			},
			{
				card_index: 1,
				components: [
					{ type: 'header', parameters: [{ type: 'video', video: { link: 'https://example.com/exotic.mp4' } }] },
					{ type: 'body', parameters: [text('EXOTIC20'), text('20%')] },
					{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'more-exotic' }] },
					{ type: 'button', sub_type: 'url', index: '1', parameters: [text('exotic_produce_2023')] },
				],
			},
		],
	},
];

/** A carousel of product cards (Meta's product card carousels): the message body, then cards of a product header and a View (SPM) button. */
export const PRODUCT_CAROUSEL: MetaTemplate = {
	...CAROUSEL,
	id: '80',
	name: 'product_carousel',
	components: [
		{ type: 'BODY', text: 'Our picks.' },
		{
			type: 'CAROUSEL',
			cards: [0, 1].map(() => ({
				components: [
					{ type: 'HEADER', format: 'PRODUCT' },
					{ type: 'BUTTONS', buttons: [{ type: 'SPM', text: 'View' }] },
				],
			})),
		},
	],
};
