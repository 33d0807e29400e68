/**
 * Realistic inbox rows, generated deterministically: one conversation and its messages come from
 * a PRNG seeded by the conversation's number, so the loader can write conversations and then
 * messages (for the foreign key) without holding a million messages in memory.
 */

export type Status = 'ACTIVE' | 'PENDING' | 'SNOOZED' | 'RESOLVED' | 'ARCHIVED';
type Channel = 'sms' | 'email' | 'voice';

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
/** Zipf-like: low indexes far more often than high ones. */
const pickSkewed = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(items.length * rand() ** 2.2)];

export const FIRST_NAMES = (
  'James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah ' +
  'Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily ' +
  'Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward ' +
  'Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda ' +
  'Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank ' +
  'Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan ' +
  'Joyce Henry Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn Noah Judith Jeremy Megan ' +
  'Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl Sara Arthur ' +
  'Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy Alice Joe Judy Bruce Sophia Gabriel Grace ' +
  'Logan Denise Albert Amber Willie Doris Alan Marilyn Juan Danielle Wayne Beverly Elijah Isabella Randy Theresa Roy Diana Vincent ' +
  'Natalie Ralph Brittany Eugene Charlotte Russell Marie Bobby Kayla Mason Alexis Philip Lori Priya Wei Mohammed Fatima Hiroshi Yuki'
).split(' ');

export const LAST_NAMES = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor ' +
  'Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott ' +
  'Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz ' +
  'Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed ' +
  'Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo ' +
  'Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales ' +
  'Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant ' +
  'Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington ' +
  'Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw ' +
  'Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice ' +
  'Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce ' +
  'Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Ray Berry Perkins ' +
  'Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Kowalski Nakamura Okafor Haddad Lindqvist'
).split(' ');

const DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'hotmail.com', 'aol.com', 'proton.me', 'fastmail.com', 'example.org'];
const AREA_CODES = [212, 213, 305, 312, 404, 415, 503, 512, 617, 702, 713, 718, 720, 773, 805, 818, 917, 949, 206, 602];

/**
 * What clients and staff write. "appointment" is in about a third of the messages (the broad
 * term); the rare words below are the selective ones.
 */
const OPENERS = ['Hi', 'Hello', 'Hey', 'Good morning', 'Good afternoon', 'Thanks', 'Thank you', 'Quick question', 'Hi there', 'Dear team'];
const CLIENT_LINES = [
  'can I move my appointment to {day} at {time}?',
  'I need to cancel my appointment on {day}, something came up.',
  'is there any availability for a {service} this {day}?',
  'running about {n} minutes late, sorry!',
  'what is the price of a {service} with {staff}?',
  'do you have parking near the {place} location?',
  'I loved the {service} last time, can I book the same again?',
  'my appointment confirmation never arrived, can you check?',
  'can I bring my daughter along for a {service}?',
  'is the gift card still valid for a {service}?',
  'please call me back when you get a chance.',
  'I left my scarf at the front desk yesterday.',
  'could you send me the invoice for last week?',
  'do you sell the {product} you used during my appointment?',
  'yes, that works for me.',
  'ok see you then',
];
const STAFF_LINES = [
  'your appointment is confirmed for {day} at {time}.',
  'we have an opening on {day} at {time} for a {service}, would that work?',
  'a reminder of your appointment tomorrow at {time} with {staff}.',
  'we moved your appointment to {day} at {time} as requested.',
  'the {service} is ${price} and takes about {n} minutes.',
  'thanks for visiting us, we hope you enjoyed your {service}.',
  'we found your scarf, it is waiting at the front desk.',
  'the {product} is in stock, we can set one aside for you.',
  'sorry to hear that, your appointment is cancelled, no fee.',
  'please reply YES to confirm or call us to reschedule.',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'tomorrow', 'next week'];
const TIMES = ['9am', '10:30', '11am', 'noon', '1pm', '2:15', '3pm', '4:45', '5pm', '6:30'];
const SERVICES = ['haircut', 'facial', 'massage', 'manicure', 'pedicure', 'color treatment', 'blowout', 'deep tissue massage', 'eyebrow wax', 'consultation'];
const PRODUCTS = ['shampoo', 'conditioner', 'serum', 'hair oil', 'moisturizer', 'sunscreen', 'face mask', 'cuticle cream'];
const PLACES = ['downtown', 'uptown', 'riverside', 'airport', 'midtown'];
/** Each in about one message in 8,000: a search for one of them is selective. */
export const RARE_WORDS = ['tourmaline', 'zeppelin', 'marmalade', 'harpsichord', 'kumquat', 'obsidian', 'saxophone', 'quokka'];
export const SELECTIVE_TERM = 'tourmaline';
export const BROAD_TERM = 'appointment';

function fill(rand: () => number, line: string, staffName: string): string {
  return line
    .replaceAll('{day}', pick(rand, DAYS))
    .replaceAll('{time}', pick(rand, TIMES))
    .replaceAll('{service}', pickSkewed(rand, SERVICES))
    .replaceAll('{product}', pick(rand, PRODUCTS))
    .replaceAll('{place}', pick(rand, PLACES))
    .replaceAll('{staff}', staffName)
    .replaceAll('{price}', String(40 + Math.floor(rand() * 16) * 5))
    .replaceAll('{n}', String(5 + Math.floor(rand() * 12) * 5));
}

export function messageText(rand: () => number, inbound: boolean, staffName: string): string {
  const lines = inbound ? CLIENT_LINES : STAFF_LINES;
  let text = `${pick(rand, OPENERS)}, ${fill(rand, pickSkewed(rand, lines), staffName)}`;
  if (rand() < 0.3) text += ` Also, ${fill(rand, pick(rand, lines), staffName)}`;
  if (rand() < 1 / 1_000) text += ` PS: the ${pick(rand, RARE_WORDS)} was lovely.`;
  return text;
}

export interface ClientRow {
  id: number;
  firstName: string;
  lastName: string;
  phone: string | null;
  email: string | null;
}

/** Client number `n` of a business: the phone is unique per business (a bijection of n), and so is the email. */
export function client(id: number, n: number): ClientRow {
  const rand = prng(n * 7 + 3);
  const firstName = pick(rand, FIRST_NAMES);
  const lastName = pick(rand, LAST_NAMES);
  const subscriber = String((n * 7919 + 1_234_567) % 10_000_000).padStart(7, '0');
  const phone = rand() < 0.95 ? `+1${AREA_CODES[n % AREA_CODES.length]}${subscriber}` : null;
  const email = phone === null || rand() < 0.8 ? `${firstName}.${lastName}${n}@${pick(rand, DOMAINS)}`.toLowerCase() : null;
  return { id, firstName, lastName, phone, email };
}

export interface Staffer {
  id: number;
  firstName: string;
}

export interface ConversationPlan {
  status: Status;
  channel: Channel;
  assignedStaff: Staffer | null;
  locationIndex: number | null;
  createdAt: number;
  messageTimes: number[];
  /** Index of the first unread inbound message at the end, or messageTimes.length when none is unread. */
  unreadFrom: number;
  /** Positions of internal notes (never the last message). */
  notes: Set<number>;
}

const STATUS_SHARES: [Status, number][] = [['RESOLVED', 0.55], ['ACTIVE', 0.25], ['PENDING', 0.1], ['SNOOZED', 0.05], ['ARCHIVED', 0.05]];
const DAY_MS = 86_400_000;

/** A conversation's status, drawn with the inbox's shares (55 % RESOLVED, 25 % ACTIVE, 10 % PENDING, 5 % SNOOZED, 5 % ARCHIVED). */
export function statusOf(seed: number): Status {
  const rand = prng(seed ^ 0x5bd1e995);
  let u = rand();
  for (const [s, share] of STATUS_SHARES) {
    if ((u -= share) < 0) return s;
  }
  return 'RESOLVED';
}

/** The shape of one conversation: status, assignee, channel, and when each of its `count` messages was written. */
export function plan(seed: number, s: Status, count: number, now: number, staff: Staffer[], locations: number, client: ClientRow): ConversationPlan {
  const rand = prng(seed);
  const open = s === 'ACTIVE' || s === 'PENDING' || s === 'SNOOZED';
  // Open conversations were active recently; resolved and archived ones are spread over two years.
  const age = (open ? 60 * rand() ** 2 : 730 * rand()) * DAY_MS;
  const createdAt = now - age - (count > 1000 ? 365 * DAY_MS : 0);
  const span = (now - createdAt) * (open ? 1 - rand() * 0.02 : 0.05 + rand() * 0.9);
  const times = Array.from({ length: count }, (_, i) => (i === 0 ? 0 : rand()))
    .sort((a, b) => a - b)
    .map((u) => Math.floor(createdAt + 1000 + u * span));
  const channel: Channel = !client.phone ? 'email' : !client.email ? (rand() < 0.9 ? 'sms' : 'voice') : pick(rand, ['sms', 'sms', 'sms', 'email', 'voice'] as const);
  const unread = open ? rand() < 0.5 : rand() < 0.03;
  const unreadFrom = unread ? Math.max(0, count - 1 - Math.floor(rand() * 3)) : count;
  const notes = new Set<number>();
  for (let i = 1; i < count - 1; i++) if (rand() < 0.02) notes.add(i);
  for (let i = unreadFrom; i < count; i++) notes.delete(i);
  return {
    status: s,
    channel,
    assignedStaff: rand() < 0.6 ? pickSkewed(rand, staff) : null,
    locationIndex: rand() < 0.95 ? Math.floor(rand() * locations) : null,
    createdAt,
    messageTimes: times,
    unreadFrom,
    notes,
  };
}

/** A timestamp PostgreSQL reads, with microseconds (as now() would have) drawn from the seed. */
export function pgTime(ms: number, micros: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', `${String(micros % 1000).padStart(3, '0')}+00`);
}

export { pick };
