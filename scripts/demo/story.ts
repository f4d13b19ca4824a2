import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";

/** The people and institutions of the story, each an account of the in-process chain. */
export interface Cast {
  deployer: HardhatEthersSigner;
  admin: HardhatEthersSigner;
  registrar: HardhatEthersSigner;
  hospitalKey: HardhatEthersSigner;
  /** The key the hospital's id is recovered to when it loses the first. */
  hospitalNewKey: HardhatEthersSigner;
  /** Dr. Chen, cardiologist. */
  doctorKey: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  aliceLaptop: HardhatEthersSigner;
  alicePhone: HardhatEthersSigner;
  mother: HardhatEthersSigner;
  brother: HardhatEthersSigner;
  friend: HardhatEthersSigner;
  /** Dr. Okafor, endocrinologist. */
  secondDoctorKey: HardhatEthersSigner;
  /** Dr. Rivera, emergency physician. */
  erDoctorKey: HardhatEthersSigner;
  /** Dr. Haddad, internist. */
  internistKey: HardhatEthersSigner;
  /** Evergreen Health, the insurer. */
  insurerKey: HardhatEthersSigner;
  /** Dr. Patel, Evergreen's medical director. */
  reviewerKey: HardhatEthersSigner;
  /**
   * The drug supply chain's partners: Meridian Pharma (a manufacturer), Keystone Wholesale (a distributor), Corner
   * Pharmacy and the State Board of Pharmacy (a regulator); St. Mary's pharmacy acts with the hospital's key. The
   * network's twenty accounts are taken, so these are fresh keys the supply-chain chapter funds before they act.
   */
  manufacturerKey: Wallet;
  distributorKey: Wallet;
  pharmacyKey: Wallet;
  regulatorKey: Wallet;
}

/** What every chapter works with: the deployed system and the cast. */
export interface Story {
  system: CareLedgerSystem;
  cast: Cast;
}

/** Who is who after the identity chapter: the participant ids the later chapters use. */
export interface Participants {
  hospital: bigint;
  doctor: bigint;
  alice: bigint;
  /** Alice's mother, brother and friend. */
  guardians: bigint[];
}

/** The cast from the network's accounts, in a fixed order; fails if the network has too few. */
export async function castOf(): Promise<Cast> {
  const signers = await ethers.getSigners();
  const account = (index: number) => {
    const signer = signers[index];
    if (signer === undefined)
      throw new Error(`the demo needs ${index + 1} accounts, the network has ${signers.length}`);
    return signer;
  };
  return {
    deployer: account(0),
    admin: account(1),
    registrar: account(2),
    hospitalKey: account(5),
    hospitalNewKey: account(6),
    doctorKey: account(7),
    alice: account(8),
    aliceLaptop: account(9),
    alicePhone: account(10),
    mother: account(11),
    brother: account(12),
    friend: account(13),
    secondDoctorKey: account(14),
    erDoctorKey: account(15),
    internistKey: account(16),
    insurerKey: account(17),
    reviewerKey: account(18),
    manufacturerKey: freshKey(),
    distributorKey: freshKey(),
    pharmacyKey: freshKey(),
    regulatorKey: freshKey(),
  };
}

/** A new random key on the network's provider, with no ether until someone sends it some. */
function freshKey(): Wallet {
  return new Wallet(Wallet.createRandom().privateKey, ethers.provider);
}

/** The chain's time now. */
export async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}
