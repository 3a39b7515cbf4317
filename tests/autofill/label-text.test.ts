import { afterEach, describe, expect, it } from 'vitest';
import { createLabelIndex, labelText, nearbyText } from '../../shared/autofill/index.ts';
import { loadHtml, type LoadedPage } from '../../shared/autofill/load-html.ts';

let page: LoadedPage | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

/** The label text and nearby text of the control with id "x" in an HTML snippet. */
const textsOf = (html: string): { label: string; nearby: string } => {
  page = loadHtml(`<!DOCTYPE html><body>${html}</body>`);
  const control = page.document.getElementById('x')!;
  return { label: labelText(control, createLabelIndex(page.document)), nearby: nearbyText(control) };
};

describe('labelText', () => {
  it.each([
    ['label[for]', '<label for="x">Email</label><input id="x">', 'Email'],
    ['two labels for one control', '<label for="x">Phone</label><input id="x"><label for="x">(mobile)</label>', 'Phone | (mobile)'],
    ['wrapping label', '<label>Company <input id="x"></label>', 'Company'],
    ['wrapping label without its select options', '<label>Title <select id="x"><option>Mr</option><option>Ms</option></select></label>', 'Title'],
    ['wrapping label that names another control', '<label for="y">Email<input id="x"></label><input id="y">', ''],
    ['aria-labelledby, several ids, in order', '<span id="a">Work</span><span id="b">phone</span><input id="x" aria-labelledby="b a">', 'phone | Work'],
    ['aria-labelledby with a missing id', '<span id="a">Email</span><input id="x" aria-labelledby="gone a">', 'Email'],
    ['aria-label', '<input id="x" aria-label="Last name">', 'Last name'],
    ['title attribute', '<input id="x" title="Department">', 'Department'],
    ['everything, most authoritative first', '<span id="l">Given</span><label for="x">First</label><input id="x" aria-labelledby="l" aria-label="Vorname" title="tip">', 'Given | Vorname | First | tip'],
    ['no script or button text', '<label for="x">Email<script>var a = 1</script><button>?</button></label><input id="x">', 'Email'],
    ['nothing', '<input id="x">', ''],
  ])('%s', (_name, html, expected) => {
    expect(textsOf(html).label).toBe(expected);
  });

  it('finds labels inside a shadow root with its own index', () => {
    page = loadHtml('<!DOCTYPE html><body><label for="x">Outside</label><div id="h"></div></body>');
    const shadow = page.document.getElementById('h')!.attachShadow({ mode: 'open' });
    const label = page.document.createElement('label');
    label.htmlFor = 'x';
    label.textContent = 'Inside';
    const input = page.document.createElement('input');
    input.id = 'x';
    shadow.append(label, input);
    expect(labelText(input, createLabelIndex(shadow))).toBe('Inside');
  });
});

describe('nearbyText', () => {
  it.each([
    ['text before the control', '<div>Email: <input id="x"></div>', 'Email:'],
    ['an element before the control', '<p><span>Phone</span> <input id="x"></p>', 'Phone'],
    ['a label-like div before the wrapper', '<div class="f"><div class="l">Company</div><div class="c"><input id="x"></div></div>', 'Company'],
    ['dt before dd', '<dl><dt>Department</dt><dd><input id="x"></dd></dl>', 'Department'],
    ['the row header of a table cell', '<table><tr><th>Email</th><td><input id="x"></td></tr></table>', 'Email'],
    ['the column header of a table cell', '<table><tr><th>Name</th><th>Email</th></tr><tr><td><input></td><td><input id="x"></td></tr></table>', 'Email'],
    ['the text just before, among several controls in a cell', '<table><tr><td>姓 <input> 名 <input id="x"></td></tr></table>', '名'],
    ['not past another control', '<div>Email <input> <input id="x"></div>', ''],
    ['not another control’s label', '<label for="y">Email</label><input id="y"><label for="z">Phone</label><input id="x">', ''],
    ['not past the form', '<form>Contact us<input id="x"></form>', 'Contact us'],
  ])('%s', (_name, html, expected) => {
    expect(textsOf(html).nearby).toBe(expected);
  });
});
