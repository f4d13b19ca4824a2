/**
 * The off-chain GS1 side of the supply-chain module: identifiers and their on-chain encodings, scans, Merkle trees
 * and shipment packages, EPCIS 2.0 documents and event hashes, and printed DataMatrix labels. The chain client is
 * added beside these by the module's lead.
 */
export * from "./datamatrix";
export * from "./epcis";
export * from "./gs1";
export * from "./identifiers";
export * from "./trees";
export * from "./statuses";
export * from "./client";
