// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// OpenZeppelin's AccessManager is deployed unchanged as the suite's one permission authority. Importing it here makes
// Hardhat compile it with the suite's pinned compiler and EVM version, so that the deploy modules and TypeChain have
// its artifact.
// solhint-disable-next-line no-unused-import
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
