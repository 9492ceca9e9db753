import { expect } from 'chai';
import { escapeHtml, escapeMarkdown, escapeXml, stripInvalidXml } from '../../../src/report/escape.js';

describe('report/escape', () => {
  it('escapes the five HTML special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('escapes XML with &apos; and drops characters XML 1.0 forbids', () => {
    expect(escapeXml("a\u0000b\u0007c\uFFFE'd\t\n")).to.equal('abc&apos;d\t\n');
  });

  it('drops lone surrogates but keeps astral characters', () => {
    expect(stripInvalidXml('x\uD800y😀')).to.equal('xy😀');
  });

  it('makes a pipe safe inside a Markdown table cell', () => {
    expect(escapeMarkdown('a | b')).to.equal('a \\| b');
  });

  it('escapes backslashes, backticks and angle brackets for Markdown', () => {
    expect(escapeMarkdown('\\ `x` <script>')).to.equal('\\\\ \\`x\\` &lt;script&gt;');
  });

  it('turns newlines into <br> in table cells, or spaces when asked', () => {
    expect(escapeMarkdown('one\ntwo\r\nthree')).to.equal('one<br>two<br>three');
    expect(escapeMarkdown('one\ntwo', 'space')).to.equal('one two');
  });

  it('keeps a leading dash from turning Markdown text into a list', () => {
    expect(escapeMarkdown('- not a list')).to.equal('\\- not a list');
  });
});
