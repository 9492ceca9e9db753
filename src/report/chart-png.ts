import { Resvg } from '@resvg/resvg-js';

/**
 * A chart's SVG as PNG bytes, for the Markdown summary: an MR, a wiki or a chat shows a PNG next to
 * the file where it drops an SVG link. resvg (@resvg/resvg-js: the Rust SVG renderer, shipped as a
 * prebuilt binary inside its npm packages) rather than a screenshot from the headless Chromium of the
 * PDF: it needs no browser (the summary has its charts on a CI runner without Chromium), takes a few
 * milliseconds per chart instead of a browser start, and gives the same bytes for the same SVG on the
 * same machine, so `crt report` renders an unchanged run to unchanged files.
 */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    // the charts name system-ui first; resvg knows no such generic, so it falls back on these
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
