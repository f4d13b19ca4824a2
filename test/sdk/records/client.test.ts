import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Bundle, Condition, Observation, Patient } from "fhir/r4";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import {
  AmendmentStatus,
  BATCH_LEAF_ENCODING,
  CareLedgerError,
  type BatchManifest,
  batchManifest,
  batchProof,
  buildBatch,
  CATEGORY_SYSTEM,
  categoryOf,
  DataCategory,
  decodeRevertData,
  loadBatch,
  MAX_BATCH_RECORDS,
  PARTICIPANT_ID_SYSTEM,
  patientOf,
  RecordStatus,
} from "../../../sdk";
import { RecordRegistry__factory } from "../../../typechain-types";
import { solidityEnum, typescriptEnum } from "../../helpers/solidity-source";

const commitment = (label: string): string => keccak256(toUtf8Bytes(`sdk records test: ${label}`));

const patient = (id: string): Patient => ({
  resourceType: "Patient",
  identifier: [
    { system: "urn:oid:1.2.3", value: "MRN-77" },
    { system: PARTICIPANT_ID_SYSTEM, value: id },
  ],
});

const observation = (code: string): Observation => ({
  resourceType: "Observation",
  status: "final",
  category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code }] }],
  code: { text: "a result" },
});

describe("SDK records", () => {
  describe("enums", () => {
    it("mirror RecordStatus and AmendmentStatus of contracts/records/Record.sol, in order", () => {
      expect(typescriptEnum(RecordStatus)).to.deep.equal(solidityEnum("records/Record.sol", "RecordStatus"));
      expect(typescriptEnum(AmendmentStatus)).to.deep.equal(solidityEnum("records/Record.sol", "AmendmentStatus"));
    });
  });

  describe("decodeRevertData", () => {
    const registry = RecordRegistry__factory.createInterface();
    const root = commitment("a root");
    const record = commitment("a record");

    it("decodes the registry's namespaced errors with the patient or the organization they name", () => {
      const cases: [string, unknown[], string][] = [
        ["RecordUnknown", [7n, record], `RecordUnknown(7, ${record})`],
        ["RecordAlreadyAnchored", [7n, record], `RecordAlreadyAnchored(7, ${record})`],
        ["RecordBatchExists", [3n, root], `RecordBatchExists(3, ${root})`],
        ["RecordUnknownBatch", [3n, root], `RecordUnknownBatch(3, ${root})`],
        [
          "RecordNotBatchOrganization",
          [3n, root, "0x000000000000000000000000000000000000dEaD"],
          `RecordNotBatchOrganization(3, ${root}, 0x000000000000000000000000000000000000dEaD)`,
        ],
        ["RecordAnchorNotPermitted", [7n, 3n, 2, 5], "RecordAnchorNotPermitted(7, 3, 2, 5)"],
      ];
      for (const [name, args, message] of cases) {
        const decoded = decodeRevertData(registry.encodeErrorResult(name, args));
        expect(decoded, name).to.be.instanceOf(CareLedgerError);
        expect(decoded!.errorName).to.equal(name);
        expect(decoded!.message).to.equal(message);
      }
    });
  });

  describe("buildBatch", () => {
    /** The organization whose batch it is, and another one. */
    const organization = 5n;
    const otherOrganization = 6n;
    const leaves = [0, 1, 2, 3, 4].map((i) => ({
      commitment: commitment(`leaf ${i}`),
      patient: 10n + BigInt(i % 2),
      category: i < 3 ? DataCategory.LaboratoryResults : DataCategory.Imaging,
    }));
    /** The leaves as the tree stores them, naming `owner`. */
    const tuples = (owner: bigint) =>
      leaves.map((leaf) => [leaf.commitment, leaf.patient.toString(), leaf.category, owner.toString()]);

    it("builds OpenZeppelin's standard tree of (commitment, patient, category, organization) with the category bitmap", () => {
      expect(BATCH_LEAF_ENCODING).to.deep.equal(["bytes32", "uint64", "uint8", "uint64"]);
      const batch = buildBatch(organization, leaves);
      const reference = StandardMerkleTree.of(tuples(organization), [...BATCH_LEAF_ENCODING]);
      expect(batch.organization).to.equal(organization);
      expect(batch.root).to.equal(reference.root);
      expect(batch.count).to.equal(5);
      expect(batch.categories).to.equal((1 << DataCategory.LaboratoryResults) | (1 << DataCategory.Imaging));
      // The same records in another organization's batch make another tree.
      expect(buildBatch(otherOrganization, leaves).root).to.not.equal(batch.root);
    });

    it("refuses a batch without an organization, an empty batch, a repeated commitment and one over MAX_BATCH_RECORDS", () => {
      for (const missing of [0n, -1n]) {
        expect(() => buildBatch(missing, leaves)).to.throw(
          "a batch belongs to an organization: give its participant id",
        );
      }
      expect(() => buildBatch(organization, [])).to.throw("a batch needs at least one record");
      expect(() => buildBatch(organization, [leaves[0]!, { ...leaves[0]!, patient: 99n }])).to.throw(
        "appears twice in the batch",
      );
      const tooMany = new Array<(typeof leaves)[number]>(MAX_BATCH_RECORDS + 1);
      expect(() => buildBatch(organization, tooMany)).to.throw(`a batch holds at most ${MAX_BATCH_RECORDS} records`);
    });

    it("proves each member, under its organization only, and refuses a non-member", () => {
      const batch = buildBatch(organization, leaves);
      for (const leaf of leaves) {
        const { leaf: values, proof } = batchProof(batch, leaf.commitment.toUpperCase().replace("0X", "0x"));
        expect(values).to.deep.equal({ ...leaf, commitment: leaf.commitment.toLowerCase() });
        for (const [owner, member] of [
          [organization, true],
          [otherOrganization, false],
        ] as const) {
          expect(
            StandardMerkleTree.verify(
              batch.root,
              [...BATCH_LEAF_ENCODING],
              [leaf.commitment, leaf.patient.toString(), leaf.category, owner.toString()],
              proof,
            ),
            `under organization ${owner}`,
          ).to.equal(member);
        }
      }
      expect(() => batchProof(batch, commitment("stranger"))).to.throw("is not in the batch");
    });

    it("round-trips through a careledger-batch/2 manifest naming the organization, and refuses a manifest that is not one or whose root was changed", () => {
      const batch = buildBatch(organization, leaves);
      const manifest = JSON.parse(
        JSON.stringify(batchManifest(batch, { [leaves[0]!.commitment]: "sha256:00" })),
      ) as BatchManifest;
      expect(manifest.format).to.equal("careledger-batch/2");
      expect(manifest.organization).to.equal("5");
      const loaded = loadBatch(manifest);
      expect(loaded.root).to.equal(batch.root);
      expect(loaded.organization).to.equal(organization);
      expect(batchProof(loaded, leaves[4]!.commitment).proof).to.deep.equal(
        batchProof(batch, leaves[4]!.commitment).proof,
      );
      const otherFormat = { ...manifest, format: "something-else" } as unknown as BatchManifest;
      expect(() => loadBatch(otherFormat)).to.throw("not a CareLedger batch manifest");
      expect(() => loadBatch({ ...manifest, root: commitment("another root") })).to.throw("manifest tree has root");
    });

    it("refuses a manifest without a decimal organization, or whose count or categories disagree with its tree", () => {
      const current = batchManifest(buildBatch(organization, leaves), {});
      for (const named of [undefined, "0x5", "0", "-3", ""]) {
        expect(
          () => loadBatch({ ...current, organization: named } as unknown as BatchManifest),
          String(named),
        ).to.throw("the manifest's organization must be a participant id in decimal");
      }
      expect(() => loadBatch({ ...current, count: 999 })).to.throw(
        `the manifest states 999 records of categories ${current.categories}, its tree holds ${leaves.length}`,
      );
      expect(() => loadBatch({ ...current, categories: 1 })).to.throw("the manifest states");
    });

    it("refuses a careledger-batch/1 manifest, whose leaves name no organization", () => {
      const tree = StandardMerkleTree.of(
        leaves.map((leaf) => [leaf.commitment, leaf.patient.toString(), leaf.category]),
        ["bytes32", "uint64", "uint8"],
      );
      const first = {
        format: "careledger-batch/1",
        root: tree.root,
        count: leaves.length,
        categories: buildBatch(organization, leaves).categories,
        blobs: {},
        tree: tree.dump(),
      } as unknown as BatchManifest;
      expect(() => loadBatch(first)).to.throw("a careledger-batch/1 manifest predates organization-bound leaves");
      // Relabelling an organization's current manifest as the first format does not get it through either.
      const current = batchManifest(buildBatch(organization, leaves), {});
      expect(() => loadBatch({ ...current, format: "careledger-batch/1" } as unknown as BatchManifest)).to.throw(
        "a careledger-batch/1 manifest predates organization-bound leaves",
      );
    });

    it("refuses a manifest whose leaves name another organization than the manifest does", () => {
      // Another organization's batch, relabelled as this organization's: its first leaf names the other one.
      const theirs = batchManifest(buildBatch(otherOrganization, leaves), {});
      expect(() => loadBatch({ ...theirs, organization: organization.toString() })).to.throw(
        "leaf 0 of the manifest names organization 6, not 5",
      );
      // A tree mixing the two: the manifest is refused at the first leaf naming the other organization.
      const mixed = StandardMerkleTree.of(
        tuples(organization).map((tuple, index) => (index === 3 ? [...tuple.slice(0, 3), "6"] : tuple)),
        [...BATCH_LEAF_ENCODING],
      );
      const manifest = { ...batchManifest(buildBatch(organization, leaves), {}), root: mixed.root, tree: mixed.dump() };
      expect(() => loadBatch(manifest as unknown as BatchManifest)).to.throw(
        "leaf 3 of the manifest names organization 6, not 5",
      );
    });
  });

  describe("categoryOf and patientOf", () => {
    it("reads the patient's participant id from the Patient entry's identifier", () => {
      const bundle: Bundle = { resourceType: "Bundle", type: "collection", entry: [{ resource: patient("42") }] };
      expect(patientOf(bundle)).to.equal(42n);
      expect(patientOf(patient("7"))).to.equal(7n);
    });

    it("refuses a bundle without a participant id, or with one that is not a positive whole number", () => {
      const withoutId: Bundle = {
        resourceType: "Bundle",
        type: "collection",
        entry: [{ resource: observation("laboratory") }],
      };
      expect(() => patientOf(withoutId)).to.throw(PARTICIPANT_ID_SYSTEM);
      expect(() => patientOf(patient("0"))).to.throw(PARTICIPANT_ID_SYSTEM);
      expect(() => patientOf(patient("12a"))).to.throw(PARTICIPANT_ID_SYSTEM);
    });

    it("takes the category from a tag first, then from the first clinical entry", () => {
      const labs: Bundle = {
        resourceType: "Bundle",
        type: "collection",
        entry: [
          { resource: patient("1") },
          { resource: observation("laboratory") },
          { resource: observation("vital-signs") },
        ],
      };
      expect(categoryOf(labs)).to.equal(DataCategory.LaboratoryResults);
      expect(categoryOf(observation("vital-signs"))).to.equal(DataCategory.VitalSigns);
      const condition: Condition = { resourceType: "Condition", subject: { reference: "Patient/1" } };
      expect(categoryOf(condition)).to.equal(DataCategory.Conditions);
      const tagged: Bundle = { ...labs, meta: { tag: [{ system: CATEGORY_SYSTEM, code: "MentalHealth" }] } };
      expect(categoryOf(tagged)).to.equal(DataCategory.MentalHealth);
      expect(
        categoryOf({ resourceType: "Bundle", type: "collection", entry: [{ resource: patient("1") }] } as Bundle),
      ).to.equal(DataCategory.Demographics);
    });

    it("refuses a resource nothing names a category for, and a tag naming no category", () => {
      expect(() => categoryOf(observation("social-history"))).to.throw(CATEGORY_SYSTEM);
      const badTag: Observation = {
        ...observation("laboratory"),
        meta: { tag: [{ system: CATEGORY_SYSTEM, code: "Astrology" }] },
      };
      expect(() => categoryOf(badTag)).to.throw("Astrology");
    });
  });
});
