import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One TwiML element: a verb inside <Response>, or a noun inside a verb. */
export interface TwimlElement {
  name: string;
  attributes: Record<string, string>;
  /** The element's own text, trimmed (e.g. the number of <Dial>+1555…</Dial>). */
  text: string;
  children: TwimlElement[];
}

/** fast-xml-parser's preserveOrder shape: `{ Tag: [...children], ':@': attributes }` or `{ '#text': text }`. */
type OrderedNode = Record<string, unknown>;

const ATTRIBUTES = ':@';
const TEXT = '#text';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Numbers and booleans stay strings: '+15551234567' must not become 15551234567.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function toElement(node: OrderedNode): TwimlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ATTRIBUTES && key !== TEXT);
  if (name === undefined) return undefined;
  const content = (node[name] ?? []) as OrderedNode[];
  const attributes = (node[ATTRIBUTES] ?? {}) as Record<string, string>;
  const text = content
    .map((child) => child[TEXT])
    .filter((value) => value !== undefined)
    .join('')
    .trim();
  const children = content.map(toElement).filter((child): child is TwimlElement => child !== undefined);
  return { name, attributes: { ...attributes }, text, children };
}

/** The verbs of a TwiML document, in order; undefined when it is not well-formed XML with a <Response> root. */
export function parseTwiml(xml: string): TwimlElement[] | undefined {
  if (xml.trim() === '' || XMLValidator.validate(xml) !== true) return undefined;
  const nodes = (parser.parse(xml) as OrderedNode[]).map(toElement).filter((node) => node !== undefined);
  const roots = nodes.filter((node) => !node.name.startsWith('?'));
  if (roots.length !== 1 || roots[0].name !== 'Response') return undefined;
  return roots[0].children;
}
