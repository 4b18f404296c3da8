import { renderTemplate, xmlEscape } from './template';

describe('renderTemplate', () => {
  it('replaces every placeholder', () => {
    expect(renderTemplate('{{A}}/x/{{A}}:{{B}}', { A: 'a', B: 1 })).toBe('a/x/a:1');
  });
  it('fails on a placeholder without a value', () => {
    expect(() => renderTemplate('{{A}} {{C}}', { A: 'a' })).toThrow(/\{\{C\}\}/);
  });
  it('fails on a value without a placeholder', () => {
    expect(() => renderTemplate('{{A}}', { A: 'a', B: 'b' })).toThrow(/B/);
  });
  it('escapes XML text', () => {
    expect(xmlEscape('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });
});
