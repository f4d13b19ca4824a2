import { type EventFragment, getAddress, type Interface, type ParamType, Result } from "ethers";

/**
 * Event decoding for the indexer, as plain JSON (integers as decimal strings, addresses checksummed, `bytesN` as hex,
 * an indexed dynamic value as its topic hash, arrays kept): the same values as ethers' `Interface.parseLog`, which
 * every event can fall back on, but for the events whose arguments are all static elementary types (nearly all of
 * CareLedger's) read straight from the topics and the data words, some twenty times faster. At thousands of events a
 * second, ethers' general decoder was most of the indexer's time. A property test holds the two to the same output.
 */
export interface DecodedEvent {
  name: string;
  args: Record<string, unknown>;
}

type WordReader = (word: string) => unknown;

/** The reader of one 32-byte word (64 hex digits) for an elementary static type, or undefined for any other type. */
function wordReader(type: ParamType): WordReader | undefined {
  const base = type.baseType;
  if (base === "address") {
    return (word) => {
      // ethers refuses a word wider than an address; so does the fast path, which hands the log to ethers.
      if (!word.startsWith("000000000000000000000000")) throw new Error("an address word with high bytes set");
      return getAddress(`0x${word.slice(24)}`);
    };
  }
  if (base === "bool") return (word) => BigInt(`0x${word}`) !== 0n;
  // Integers are masked to their width, as ethers' decoder does.
  const uint = /^uint(\d*)$/.exec(type.type);
  if (uint !== null) {
    const bits = Number(uint[1] === "" ? 256 : uint[1]);
    return (word) => BigInt.asUintN(bits, BigInt(`0x${word}`)).toString();
  }
  const int = /^int(\d*)$/.exec(type.type);
  if (int !== null) {
    const bits = Number(int[1] === "" ? 256 : int[1]);
    return (word) => BigInt.asIntN(bits, BigInt(`0x${word}`)).toString();
  }
  const bytes = /^bytes(\d+)$/.exec(type.type);
  if (bytes !== null) {
    const length = Number(bytes[1]);
    return (word) => `0x${word.slice(0, length * 2)}`;
  }
  return undefined;
}

/** A fast decoder for one event, or undefined when a non-indexed argument is not an elementary static type. */
function fastDecoder(fragment: EventFragment): ((topics: readonly string[], data: string) => DecodedEvent) | undefined {
  const readers: { name: string; indexed: boolean; read: WordReader }[] = [];
  for (const [position, input] of fragment.inputs.entries()) {
    const name = input.name === "" ? String(position) : input.name;
    const reader = wordReader(input);
    if (input.indexed === true) {
      // An indexed dynamic value (string, bytes, array, tuple) is only its hash: the topic as it is.
      readers.push({ name, indexed: true, read: reader ?? ((word) => `0x${word}`) });
    } else {
      if (reader === undefined) return undefined;
      readers.push({ name, indexed: false, read: reader });
    }
  }
  const dataWords = readers.filter((reader) => !reader.indexed).length;
  const topicCount = readers.filter((reader) => reader.indexed).length + (fragment.anonymous ? 0 : 1);
  return (topics, data) => {
    if (topics.length !== topicCount || data.length !== 2 + dataWords * 64) {
      throw new Error(
        `${fragment.name}: ${topics.length} topics and ${(data.length - 2) / 2} data bytes do not fit its ABI`,
      );
    }
    const args: Record<string, unknown> = {};
    let topic = fragment.anonymous ? 0 : 1;
    let word = 0;
    for (const { name, indexed, read } of readers) {
      const hex = indexed ? (topics[topic++] as string).slice(2) : data.slice(2 + word * 64, 2 + ++word * 64);
      args[name] = read(hex.toLowerCase());
    }
    return { name: fragment.name, args };
  };
}

/** An ethers `Result` as the same JSON. */
function plain(result: Result, fragment: EventFragment): Record<string, unknown> {
  const value = (item: unknown): unknown => {
    if (typeof item === "bigint") return item.toString();
    if (item instanceof Result) return Array.from(item, value);
    if (typeof item === "object" && item !== null && "hash" in item) return (item as { hash: string }).hash; // Indexed
    return item;
  };
  const out: Record<string, unknown> = {};
  fragment.inputs.forEach((input, index) => {
    out[input.name === "" ? String(index) : input.name] = value(result[index]);
  });
  return out;
}

/**
 * The decoder of an interface's events: by topic 0, the fast path where it applies, ethers' otherwise. Returns null for
 * a log that is none of the interface's events (or does not decode as one).
 */
export function eventDecoder(iface: Interface): (topics: readonly string[], data: string) => DecodedEvent | null {
  const decoders = new Map<string, (topics: readonly string[], data: string) => DecodedEvent>();
  iface.forEachEvent((fragment) => {
    const general = (topics: readonly string[], data: string): DecodedEvent => ({
      name: fragment.name,
      args: plain(iface.decodeEventLog(fragment, data, [...topics]), fragment),
    });
    const fast = fastDecoder(fragment);
    // A log that does not have the shape the fast path expects goes to ethers, which judges it.
    decoders.set(
      fragment.topicHash,
      fast === undefined
        ? general
        : (topics, data) => {
            try {
              return fast(topics, data);
            } catch {
              return general(topics, data);
            }
          },
    );
  });
  return (topics, data) => {
    const decode = topics[0] === undefined ? undefined : decoders.get(topics[0].toLowerCase());
    if (decode === undefined) return null;
    try {
      return decode(topics, data);
    } catch {
      return null;
    }
  };
}

/** The same decoding through ethers alone (`Interface.parseLog`), the reference the fast path is tested against. */
export function referenceDecode(iface: Interface, topics: readonly string[], data: string): DecodedEvent | null {
  try {
    const parsed = iface.parseLog({ topics: [...topics], data });
    return parsed === null ? null : { name: parsed.name, args: plain(parsed.args, parsed.fragment) };
  } catch {
    return null;
  }
}
