import { Worker } from 'node:worker_threads';

/**
 * The text of a PDF, whole and per page, read back with pdf-parse.
 *
 * pdf-parse (pdfjs) loads its worker with a dynamic import(), which jest's module sandbox refuses
 * without --experimental-vm-modules; a worker thread runs outside that sandbox.
 */
export function readPdfText(pdf: Buffer): Promise<{ text: string; pages: string[] }> {
  const script = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { PDFParse } = require(workerData.pdfParse);
    (async () => {
      const parser = new PDFParse({ data: workerData.pdf });
      try {
        const result = await parser.getText();
        parentPort.postMessage({ text: result.text, pages: result.pages.map((p) => p.text) });
      } catch (err) {
        parentPort.postMessage({ error: String((err && err.stack) || err) });
      } finally {
        await parser.destroy();
      }
    })();`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, {
      eval: true,
      workerData: { pdfParse: require.resolve('pdf-parse'), pdf: new Uint8Array(pdf) },
    });
    worker.once('message', (msg: { text: string; pages: string[] } | { error: string }) => {
      void worker.terminate();
      if ('error' in msg) reject(new Error(msg.error));
      else resolve(msg);
    });
    worker.once('error', reject);
  });
}
