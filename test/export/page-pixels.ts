import * as fs from 'node:fs';
import type { Page } from 'playwright-core';

/** The stored squares the page's own decode (src/export/page/decode.ts) makes of `files` in the open tab. */
export async function pageStoredSquares(tab: Page, origin: string, files: string[], storedSize: number): Promise<number[][]> {
  const encoded = files.map((file) => fs.readFileSync(file).toString('base64'));
  // A string, not a function: TypeScript would compile a function's import() into require().
  return (await tab.evaluate(`(async () => {
    const { storedPixels } = await import('${origin.replace(/\/$/, '')}/js/export/page/decode.js');
    const squares = [];
    for (const image of ${JSON.stringify(encoded)}) {
      squares.push(Array.from(await storedPixels(new Blob([Uint8Array.from(atob(image), (c) => c.charCodeAt(0))]), ${storedSize})));
    }
    return squares;
  })()`)) as number[][];
}
