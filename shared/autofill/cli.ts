import { readFile, stat } from 'node:fs/promises';
import { classifyControls } from './classify-controls.ts';
import { toDesignField, type ContactField, type DesignField } from './contact-field.ts';
import { decodeHtml, loadHtml } from './load-html.ts';

/**
 * Node edge: `peoplebook-autofill classify FILE.html` (../shared/design.md, "Contracts").
 * Not imported by index.ts, so the classifier stays free of Node and happy-dom.
 */

export const USAGE = `Usage: peoplebook-autofill classify FILE.html

Prints, as JSON, every form control of a saved web page (in forms or not, in open shadow roots and in
srcdoc iframes) with the contact field Peoplebook would fill into it:

  [{ "id": "first", "name": "fname", "field": "given-name", "detail": "given-name",
     "reason": "label", "confidence": 0.9, "section": "form#signup", "tag": "input", "type": "text",
     "evidence": "First name" }, …]

  field       name, given-name, family-name, email, tel, organization, organization-title, department,
              or null (leave alone)
  detail      the finer field: also honorific-prefix, additional-name, tel-country-code, tel-national,
              employee-id
  reason      the signal that decided (autocomplete, label, name, id, placeholder, nearby-text, type,
              options), "excluded: …" for fields never filled (password, payment, address, …),
              "ambiguous: …" or "no match"

Scripts on the page never run and nothing is fetched. FILE may be "-" to read standard input.
Save a page with your browser's "Save page as…" ("Webpage, HTML only" or "Webpage, Complete").

Options:
  -h, --help   show this help
`;

/** One failure a user can act on; `code` is stable, the message says what to do. */
export class AutofillCliError extends Error {
  constructor(
    readonly code: 'USAGE' | 'FILE_NOT_FOUND' | 'FILE_UNREADABLE' | 'NOT_HTML',
    message: string,
  ) {
    super(message);
    this.name = 'AutofillCliError';
  }
}

export interface ClassifiedEntry {
  id: string | null;
  name: string | null;
  field: DesignField | null;
  detail: ContactField | null;
  reason: string;
  confidence: number;
  section: string;
  tag: string;
  type: string | null;
  evidence: string;
}

/** Classifies the controls of one HTML document (the CLI's work, without the file system). */
export async function classifyHtml(html: string): Promise<ClassifiedEntry[]> {
  const page = loadHtml(html);
  try {
    return classifyControls(page.document).map(({ element, field, reason, confidence, section, evidence }) => ({
      id: element.getAttribute('id'),
      name: element.getAttribute('name'),
      field: toDesignField(field),
      detail: field,
      reason,
      confidence: Math.round(confidence * 100) / 100,
      section,
      tag: element.localName,
      type: element.localName === 'input' ? (element.getAttribute('type') ?? 'text').toLowerCase() : null,
      evidence,
    }));
  } finally {
    await page.close();
  }
}

async function readInput(file: string, stdin: () => Promise<Uint8Array>): Promise<Uint8Array> {
  if (file === '-') return stdin();
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new AutofillCliError('FILE_NOT_FOUND', `${file}: no such file. Pass the path of a saved HTML page (your browser's "Save page as…").`);
    throw new AutofillCliError('FILE_UNREADABLE', `${file}: cannot read it (${error.code ?? error.message}). Check the path and its permissions.`);
  });
  if (info.isDirectory()) throw new AutofillCliError('FILE_UNREADABLE', `${file} is a directory. Pass the .html file inside it.`);
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new AutofillCliError('FILE_UNREADABLE', `${file}: cannot read it (${error.code ?? error.message}). Check its permissions (chmod +r).`);
  });
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: () => Promise<Uint8Array>;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};

/** Runs the CLI; returns the exit code (0 done, 2 usage or input error). */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
      (argv.length === 0 ? io.stderr : io.stdout)(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    const [command, file, ...rest] = argv;
    if (command !== 'classify') throw new AutofillCliError('USAGE', `unknown command "${command}". Run "peoplebook-autofill classify FILE.html" (see --help).`);
    if (file === undefined) throw new AutofillCliError('USAGE', 'classify needs the path of a saved HTML page: peoplebook-autofill classify FILE.html');
    if (rest.length > 0) throw new AutofillCliError('USAGE', `classify takes one file; got also ${rest.join(' ')}. Run it once per page.`);
    const bytes = await readInput(file, io.stdin);
    const html = decodeHtml(bytes);
    if (/^\s*(?:MIME-Version|From:|Content-Type: multipart)/i.test(html.slice(0, 200))) {
      throw new AutofillCliError('NOT_HTML', `${file} is an MHTML archive ("Webpage, Single File"). Save the page as "Webpage, HTML only" or "Webpage, Complete" instead.`);
    }
    io.stdout(`${JSON.stringify(await classifyHtml(html), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof AutofillCliError) {
      io.stderr(`peoplebook-autofill: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
