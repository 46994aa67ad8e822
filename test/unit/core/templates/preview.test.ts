import { renderPreview, renderText } from '../../../../src/core/templates/preview';
import { translator } from '../../../../src/core/i18n/translate';
import { coupon, fallSale, invoice, lto, orderDelivery, readContract, verification, verificationListed } from './fixtures';

describe('renderPreview', () => {
	it('substitutes the values; a value not filled yet shows as its placeholder', () => {
		expect(renderPreview(coupon, { 'header.1': 'Ana', 'body.1': 'SUMMER20' })).toEqual({
			header: 'Act fast, Ana!',
			body: "Just a quick reminder—your exclusive coupon code, SUMMER20, *expires in only {{2}} days!* Don't miss out on our special deals. Use your code at checkout before it's too late.\n\nHappy shopping! 😃",
			footer: 'Lucky Shrub Succulents',
			buttons: ['See deals', 'Unsubscribe'],
		});
		expect(renderPreview(coupon, {}).header).toBe('Act fast, {{1}}!');
	});

	it('media and location headers are markers (i18n keys) with the document name or the place', () => {
		expect(renderPreview(lto, {}).header).toEqual({ key: 'template_preview_image', params: {} });
		expect(renderPreview(invoice, { 'header.link': 'https://example.com/docs/fatura-7.pdf?sig=1' }).header).toEqual({
			key: 'template_preview_document',
			params: { name: 'fatura-7.pdf' },
		});
		expect(renderPreview(invoice, { 'header.link': 'https://example.com/x.pdf', 'header.filename': 'Fatura.pdf' }).header).toEqual({
			key: 'template_preview_document',
			params: { name: 'Fatura.pdf' },
		});
		expect(renderPreview(orderDelivery, { 'header.name': 'Philz Coffee', 'header.address': '101 Forest Ave' }).header).toEqual({
			key: 'template_preview_location',
			params: { place: 'Philz Coffee, 101 Forest Ave' },
		});
	});

	it('named parameters, and currency / date_time parameters by their fallback value', () => {
		const named = readContract('meta-docs/templates-list-default-fields.response.json').data[0];
		expect(renderPreview(named, { 'body.number_of_guests': '4', 'body.day': 'Saturday' }).body).toContain(
			'for 4 at Lucky Shrub Eatery on Saturday, {{date}}, at {{time}}',
		);
		const [, currency] = readContract('meta-openapi/send-template-request.examples.json')['Send Message Template Text'].template
			.components[0].parameters;
		expect(renderPreview(fallSale, { 'body.1': 'Mark' }, { extraParameters: { 'body.2': currency } }).body).toBe(
			'Hi Mark, our Fall Sale is on! Use promo code $100.99 Get an extra 25% off every order above $350!',
		);
	});
});

describe('limited-time offer', () => {
	const values = { 'body.1': 'Pablo', 'body.2': 'CARIBE25', 'button.0.coupon': 'CARIBE25', 'button.1.url': 'n3mtql' };

	it("shows the offer's heading and, once typed, its code; the copy-code button without a text as a marker", () => {
		expect(renderPreview(lto, values)).toEqual({
			header: { key: 'template_preview_image', params: {} },
			offer: { heading: 'Expiring offer!', code: { key: 'template_preview_offer_code', params: { code: 'CARIBE25' } } },
			body: 'Good news, Pablo! Use code CARIBE25 to get 25% off all Caribbean Destination packages!',
			buttons: [{ key: 'template_preview_copy_code', params: {} }, 'Book now!'],
		});
		expect(renderPreview(lto, {}).offer).toEqual({ heading: 'Expiring offer!' });
		expect(renderPreview(coupon, {})).not.toHaveProperty('offer');
	});

	it('reads in the agent\'s language, and in English without a translator (never "[COPY_CODE]")', () => {
		expect(renderText(renderPreview(lto, values), translator('pt-BR'))).toBe(
			'*[imagem]*\n*Expiring offer!*\nCódigo: CARIBE25\nGood news, Pablo! Use code CARIBE25 to get 25% off all Caribbean Destination packages!\n[Copiar código] [Book now!]',
		);
		const text = renderText(renderPreview(lto, values));
		expect(text).toBe(
			'*[image]*\n*Expiring offer!*\nCode: CARIBE25\nGood news, Pablo! Use code CARIBE25 to get 25% off all Caribbean Destination packages!\n[Copy code] [Book now!]',
		);
		expect(text).not.toContain('COPY_CODE');
	});

	it("authentication as Meta lists it: the code button's own text", () => {
		expect(renderText(renderPreview(verificationListed, { 'body.1': '482913' }))).toBe(
			'*482913* is your verification code. For your security, do not share this code.\n_This code expires in 10 minutes._\n[Copy code]',
		);
	});
});

describe('renderText', () => {
	it('one room message: *header*, body, _footer_, [buttons]', () => {
		expect(renderText(renderPreview(fallSale, { 'body.1': 'Mark', 'body.2': 'FALL25' }))).toBe(
			'*Fall Sale*\nHi Mark, our Fall Sale is on! Use promo code FALL25 Get an extra 25% off every order above $350!\n_Not interested in any of our sales? Tap Stop Promotions_\n[Stop promotions]',
		);
		expect(renderText(renderPreview(verification, { 'body.1': '482913' }))).toBe(
			'*482913* is your verification code. For your security, do not share this code.\n_This code expires in 10 minutes._\n[Copy code]',
		);
	});

	it('markers read [image], [document: name], [location: place] unless a translator is given', () => {
		expect(renderText(renderPreview(invoice, { 'header.filename': 'f.pdf', 'body.1': '42' }))).toBe(
			'*[document: f.pdf]*\nSegue sua fatura 42.\n_Loja_',
		);
		expect(renderText(renderPreview(lto, {})).split('\n')[0]).toBe('*[image]*');
		expect(renderText(renderPreview(orderDelivery, { 'header.name': 'Philz' })).split('\n')[0]).toBe('*[location: Philz]*');
		const t = (key: string, params: Record<string, string>) => `${key}(${params.name})`;
		expect(renderText(renderPreview(invoice, { 'header.filename': 'f.pdf' }), t).split('\n')[0]).toBe(
			'*template_preview_document(f.pdf)*',
		);
	});
});
